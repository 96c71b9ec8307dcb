package builtin_test

import (
	"os"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestDisagreementQuotes checks that every side of the article
// disagreements (testdata/disagreements.yaml, the fixture of the query
// package's TestContestedCoversTheArticles) quotes its article exactly.
func TestDisagreementQuotes(t *testing.T) {
	texts := loadArticles(t)
	b, err := os.ReadFile("testdata/disagreements.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Points []struct {
			ID    string `yaml:"id"`
			Sides []struct {
				Source string `yaml:"source"`
				Quote  string `yaml:"quote"`
			} `yaml:"sides"`
		} `yaml:"points"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, p := range doc.Points {
		if seen[p.ID] {
			t.Errorf("point %s twice", p.ID)
		}
		seen[p.ID] = true
		if len(p.Sides) < 2 {
			t.Errorf("%s: %d sides; a disagreement has at least two", p.ID, len(p.Sides))
		}
		for _, s := range p.Sides {
			if _, ok := texts[s.Source]; !ok {
				t.Errorf("%s: %s is not one of the six articles", p.ID, s.Source)
			} else if !containsAny(texts[s.Source], s.Quote) {
				t.Errorf("%s: %s does not write %q", p.ID, s.Source, s.Quote)
			}
		}
	}
}

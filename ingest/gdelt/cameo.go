package gdelt

import "strings"

// cameo holds the CAMEO event codes this importer maps, with their words
// (GDELT's CAMEO lookup table; The GDELT Project, https://www.gdeltproject.org/).
var cameo = map[string]string{
	"015":  "Acknowledge or claim responsibility",
	"13":   "Threaten",
	"130":  "Threaten, not specified below",
	"131":  "Threaten non-force, not specified below",
	"1311": "Threaten to reduce or stop aid",
	"1312": "Threaten to boycott, embargo, or sanction",
	"1313": "Threaten to reduce or break relations",
	"132":  "Threaten with administrative sanctions, not specified below",
	"1321": "Threaten to impose restrictions on freedoms of speech and expression",
	"1322": "Threaten to ban political parties or politicians",
	"1323": "Threaten to impose curfew",
	"1324": "Threaten to impose state of emergency or martial law",
	"133":  "Threaten collective dissent",
	"134":  "Threaten to halt negotiations",
	"135":  "Threaten to halt mediation",
	"136":  "Threaten to expel or withdraw peacekeepers",
	"137":  "Threaten with violent repression",
	"138":  "Threaten to use military force, not specified below",
	"1381": "Threaten blockade",
	"1382": "Threaten occupation",
	"1383": "Threaten unconventional violence",
	"1384": "Threaten conventional attack",
	"1385": "Threaten attack with WMD",
	"139":  "Give ultimatum",
	"18":   "Assault",
	"180":  "Use unconventional violence, not specified below",
	"181":  "Abduct, hijack, or take hostage",
	"182":  "Physically assault, not specified below",
	"1821": "Sexually assault",
	"1822": "Torture",
	"1823": "Kill by physical assault",
	"183":  "Conduct suicide, car, or other non-military bombing, not specified below",
	"1831": "Carry out suicide bombing",
	"1832": "Carry out car bombing",
	"1833": "Carry out roadside bombing",
	"184":  "Use as human shield",
	"185":  "Attempt to assassinate",
	"186":  "Assassinate",
	"19":   "Fight",
	"190":  "Use conventional military force, not specified below",
	"191":  "Impose blockade, restrict movement",
	"192":  "Occupy territory",
	"193":  "Fight with small arms and light weapons",
	"194":  "Fight with artillery and tanks",
	"195":  "Employ aerial weapons",
	"196":  "Violate ceasefire",
	"20":   "Engage in unconventional mass violence",
	"200":  "Engage in unconventional mass violence, not specified below",
	"201":  "Engage in mass expulsion",
	"202":  "Engage in mass killings",
	"203":  "Engage in ethnic cleansing",
	"204":  "Use weapons of mass destruction, not specified below",
	"2041": "Use chemical, biological, or radiological weapons",
	"2042": "Detonate nuclear weapons",
}

// An eventClass is what a CAMEO event code becomes.
type eventClass int

const (
	unmapped eventClass = iota
	attack              // 18x, 19x, 20x
	threat              // 13x
	claim               // 015
)

// classOf returns the class of a CAMEO event code ("1823", "015").
func classOf(code string) eventClass {
	switch {
	case strings.HasPrefix(code, "015"):
		return claim
	case strings.HasPrefix(code, "13"):
		return threat
	case strings.HasPrefix(code, "18"), strings.HasPrefix(code, "19"), strings.HasPrefix(code, "20"):
		return attack
	}
	return unmapped
}

// describe returns the CAMEO words of code, or of its longest known
// prefix (a sub-code the table lacks is described by its parent).
func describe(code string) string {
	for c := code; len(c) >= 2; c = c[:len(c)-1] {
		if d, ok := cameo[c]; ok {
			return d
		}
	}
	return ""
}

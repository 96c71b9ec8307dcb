package query

import (
	"os/exec"
	"testing"
)

func TestSimilarity(t *testing.T) {
	for _, c := range []struct {
		x, y string
		want float64
	}{
		{"al-shabaab", "al-shabab", 1},                                              // shabaab ~ shabab; "al" is too short a token
		{"islamic state - khorasan province", "islamic state khorasan province", 1}, // the dash is no token
		{"government of iran", "government of ukraine", 1.0 / 3},
		{"russian air force", "russian armed forces", 0.5}, // force ~ forces
		{"isi", "isis", 0},
		{"", "x", 0},
	} {
		if got := similarity(c.x, c.y); got < c.want-1e-9 || got > c.want+1e-9 {
			t.Errorf("similarity(%q, %q) = %v; want %v", c.x, c.y, got, c.want)
		}
	}
}

// TestShellQuote: the command candidates prints gives same its ids and
// reason as written, through a real shell.
func TestShellQuote(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skipf("no shell to check quoting with: %v", err)
	}
	for _, s := range []string{"group:isis-k", `same name "al-Qa'ida"; shared alias "ISIS-K"`, "$(echo no) `no` \\ !x *", "tab\there", "ümlaut – dash"} {
		out, err := exec.Command(sh, "-c", "printf %s "+shellQuote(s)).Output()
		if err != nil || string(out) != s {
			t.Errorf("sh -c printf %%s %s = %q, %v; want %q", shellQuote(s), out, err, s)
		}
	}
}

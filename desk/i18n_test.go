package desk

import (
	"regexp"
	"testing"
)

// TestTexts: both languages have every text, and every text the page uses
// exists.
func TestTexts(t *testing.T) {
	for key := range texts["en"] {
		if texts["de"][key] == "" {
			t.Errorf("no German text %q", key)
		}
	}
	for key := range texts["de"] {
		if texts["en"][key] == "" {
			t.Errorf("no English text %q", key)
		}
	}
	page, err := files.ReadFile("page.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`\{\{t "([a-z.\-]+)"`).FindAllSubmatch(page, -1) {
		if texts["en"][string(m[1])] == "" {
			t.Errorf("page.html uses the missing text %q", m[1])
		}
	}
	for _, act := range []string{actIssue, actIssueVenue, actRevoke, actSignIn, actSignInFailed, actLocked} {
		if texts["en"]["act."+act] == "" {
			t.Errorf("no text for the audit action %q", act)
		}
	}
}

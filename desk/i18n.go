package desk

import (
	"net/http"
	"strings"
)

// texts are the desk's strings in English and German.
var texts = map[string]map[string]string{
	"en": {
		"title":              "Health authority desk",
		"skip":               "Skip to content",
		"lang":               "Deutsch",
		"lang.nav":           "Language and account",
		"signin":             "Sign in",
		"signin.intro":       "Staff of the health authority sign in here to issue one-time codes for positive tests and venue warnings.",
		"name":               "Account name",
		"password":           "Password",
		"signout":            "Sign out",
		"signedin":           "Signed in as {name}.",
		"bad":                "Wrong account name or password.",
		"locked":             "This account is locked after too many wrong passwords. Try again after {until} or ask an administrator.",
		"csrf":               "This form was not sent from the desk's own page, or it is too old. Nothing was changed. Reload the page and try again.",
		"expired":            "Your session has ended. Nothing was changed. Please sign in again.",
		"issue.h":            "Issue a code",
		"issue.intro":        "For a person with a positive test: read the code out on the phone or show its QR code. It works once.",
		"issue":              "Issue a code",
		"venue.h":            "Issue a code for a venue warning",
		"venue.intro":        "For a venue with an outbreak: the venue's operator enters it to warn everyone who was there. It cannot be used to report a personal positive test.",
		"venue":              "Issue a venue-warning code",
		"sheet.h":            "Printable sheet",
		"sheet.intro":        "Codes for a test centre, one per person with a positive test.",
		"sheet.n":            "Number of codes (1 to {max})",
		"sheet":              "Make a sheet",
		"revoke.h":           "Revoke a code",
		"revoke.intro":       "A code handed to the wrong person: paste it here. Parties refuse it within minutes.",
		"revoke.code":        "Code",
		"revoke":             "Revoke",
		"revoked":            "The code is revoked. The parties refuse it from their next fetch of the list. If it was already used, the report it made stays.",
		"revoked.before":     "This code was revoked before. Nothing was changed.",
		"revoke.bad":         "This is not a code of this desk: {err}. Nothing was changed.",
		"revoke.old":         "This code has already expired; it cannot be used any more. Nothing was changed.",
		"code.h":             "Positive-test code",
		"code.venue.h":       "Venue-warning code",
		"code.expires":       "Valid until {time} (UTC). It works once.",
		"code.alt":           "QR code of the code",
		"code.back":          "Back to the desk",
		"code.note":          "Scan it with the SafeTrace app (Report, Scan the code) or type it in. This page is not stored; once you leave it, the code cannot be shown again.",
		"sheet.title":        "{n} codes",
		"sheet.print":        "Print this page with your browser (Ctrl+P). Cut along the lines; each code works once.",
		"counts.h":           "Codes per day",
		"counts.day":         "Day (UTC)",
		"counts.issued":      "Issued (positive test)",
		"counts.venue":       "Issued (venue warning)",
		"counts.used":        "Used",
		"counts.revoked":     "Revoked",
		"counts.unknown":     "not known",
		"counts.note":        "Counts only. The desk stores no names and nothing about who used a code; parties record a code's use without telling the desk.",
		"counts.none":        "No codes yet.",
		"audit.h":            "Audit log",
		"audit.time":         "Time (UTC)",
		"audit.staff":        "Staff account",
		"audit.action":       "Action",
		"audit.count":        "Codes",
		"act.issue":          "issued positive-test codes",
		"act.issue-venue":    "issued venue-warning codes",
		"act.revoke":         "revoked a code",
		"act.sign-in":        "signed in",
		"act.sign-in-failed": "wrong password",
		"act.locked":         "account locked",
		"busy":               "The desk is busy. Try again in a minute.",
		"error":              "Something went wrong; nothing was changed: {err}",
	},
	"de": {
		"title":              "Schalter des Gesundheitsamts",
		"skip":               "Zum Inhalt springen",
		"lang":               "English",
		"lang.nav":           "Sprache und Konto",
		"signin":             "Anmelden",
		"signin.intro":       "Mitarbeitende des Gesundheitsamts melden sich hier an, um Einmal-Codes für positive Tests und Warnungen für Orte auszugeben.",
		"name":               "Kontoname",
		"password":           "Passwort",
		"signout":            "Abmelden",
		"signedin":           "Angemeldet als {name}.",
		"bad":                "Kontoname oder Passwort falsch.",
		"locked":             "Dieses Konto ist nach zu vielen falschen Passwörtern gesperrt. Versuchen Sie es nach {until} wieder oder wenden Sie sich an die Administration.",
		"csrf":               "Dieses Formular kam nicht von der Seite des Schalters oder ist zu alt. Es wurde nichts geändert. Laden Sie die Seite neu und versuchen Sie es noch einmal.",
		"expired":            "Ihre Sitzung ist abgelaufen. Es wurde nichts geändert. Bitte melden Sie sich wieder an.",
		"issue.h":            "Code ausgeben",
		"issue.intro":        "Für eine Person mit positivem Test: Code am Telefon vorlesen oder den QR-Code zeigen. Er gilt einmal.",
		"issue":              "Code ausgeben",
		"venue.h":            "Code für eine Warnung an einem Ort ausgeben",
		"venue.intro":        "Für einen Ort mit einem Ausbruch: Die Betreiberin gibt ihn ein, um alle zu warnen, die dort waren. Für die Meldung eines persönlichen positiven Tests gilt er nicht.",
		"venue":              "Code für eine Ortswarnung ausgeben",
		"sheet.h":            "Bogen zum Drucken",
		"sheet.intro":        "Codes für ein Testzentrum, einer pro Person mit positivem Test.",
		"sheet.n":            "Anzahl der Codes (1 bis {max})",
		"sheet":              "Bogen erstellen",
		"revoke.h":           "Code widerrufen",
		"revoke.intro":       "Ein Code ging an die falsche Person: Hier einfügen. Die Parteien lehnen ihn binnen Minuten ab.",
		"revoke.code":        "Code",
		"revoke":             "Widerrufen",
		"revoked":            "Der Code ist widerrufen. Die Parteien lehnen ihn ab, sobald sie die Liste das nächste Mal abrufen. Wurde er schon benutzt, bleibt die Meldung bestehen.",
		"revoked.before":     "Dieser Code wurde schon widerrufen. Es wurde nichts geändert.",
		"revoke.bad":         "Das ist kein Code dieses Schalters: {err}. Es wurde nichts geändert.",
		"revoke.old":         "Dieser Code ist schon abgelaufen und kann nicht mehr benutzt werden. Es wurde nichts geändert.",
		"code.h":             "Code für einen positiven Test",
		"code.venue.h":       "Code für eine Ortswarnung",
		"code.expires":       "Gültig bis {time} (UTC). Er gilt einmal.",
		"code.alt":           "QR-Code des Codes",
		"code.back":          "Zurück zum Schalter",
		"code.note":          "Mit der SafeTrace-App scannen (Melden, Code scannen) oder eintippen. Diese Seite wird nicht gespeichert; danach lässt sich der Code nicht mehr anzeigen.",
		"sheet.title":        "{n} Codes",
		"sheet.print":        "Drucken Sie diese Seite mit Ihrem Browser (Strg+P). Entlang der Linien schneiden; jeder Code gilt einmal.",
		"counts.h":           "Codes pro Tag",
		"counts.day":         "Tag (UTC)",
		"counts.issued":      "Ausgegeben (positiver Test)",
		"counts.venue":       "Ausgegeben (Ortswarnung)",
		"counts.used":        "Benutzt",
		"counts.revoked":     "Widerrufen",
		"counts.unknown":     "unbekannt",
		"counts.note":        "Nur Anzahlen. Der Schalter speichert keine Namen und nichts darüber, wer einen Code benutzt hat; die Parteien vermerken die Nutzung, ohne den Schalter zu fragen.",
		"counts.none":        "Noch keine Codes.",
		"audit.h":            "Protokoll",
		"audit.time":         "Zeit (UTC)",
		"audit.staff":        "Konto",
		"audit.action":       "Vorgang",
		"audit.count":        "Codes",
		"act.issue":          "Codes für positive Tests ausgegeben",
		"act.issue-venue":    "Codes für Ortswarnungen ausgegeben",
		"act.revoke":         "Code widerrufen",
		"act.sign-in":        "angemeldet",
		"act.sign-in-failed": "falsches Passwort",
		"act.locked":         "Konto gesperrt",
		"busy":               "Der Schalter ist ausgelastet. Bitte in einer Minute noch einmal.",
		"error":              "Etwas ist schiefgegangen; es wurde nichts geändert: {err}",
	},
}

// language picks "de" or "en": the lang cookie, else the first of the
// Accept-Language header's languages that the desk has.
func language(r *http.Request) string {
	if c, err := r.Cookie("lang"); err == nil && texts[c.Value] != nil {
		return c.Value
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		if strings.HasPrefix(tag, "de") {
			return "de"
		}
		if strings.HasPrefix(tag, "en") {
			return "en"
		}
	}
	return "en"
}

// tr returns the text key in lang with {k} replaced by vars[k].
func tr(lang, key string, vars ...string) string {
	s, ok := texts[lang][key]
	if !ok {
		s = texts["en"][key]
	}
	for i := 0; i+1 < len(vars); i += 2 {
		s = strings.ReplaceAll(s, "{"+vars[i]+"}", vars[i+1])
	}
	return s
}

package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rotatord/rotatord/internal/control"
	"github.com/rotatord/rotatord/internal/schedule"
)

// icsTime is RFC 5545's DATE-TIME in UTC.
const icsTime = "20060102T150405Z"

// writeICS writes the plan as an iCalendar file (RFC 5545): a VCALENDAR
// with one VEVENT per item, lines ending in CRLF and folded at 75 octets.
// An item's UID (itemUID) is the same in every run that plans it, so a
// calendar subscribed to the file updates rather than duplicates; DTSTAMP
// is when the plan was made.
func writeICS(w io.Writer, p *control.Plan) error {
	bw := bufio.NewWriter(w)
	line := func(name, value string) { writeFolded(bw, name+":"+value) }
	line("BEGIN", "VCALENDAR")
	line("VERSION", "2.0")
	line("PRODID", "-//rotatord//rotatord plan//EN")
	line("CALSCALE", "GREGORIAN")
	line("METHOD", "PUBLISH")
	line("X-WR-CALNAME", "rotatord plan")
	stamp := p.From.UTC().Format(icsTime)
	for _, it := range p.Items {
		line("BEGIN", "VEVENT")
		line("UID", itemUID(it))
		line("DTSTAMP", stamp)
		line("DTSTART", it.At.UTC().Format(icsTime))
		line("SUMMARY", icsText(fmt.Sprintf("%s: %s", it.Secret, planWhat(it))))
		line("DESCRIPTION", icsText(icsDescription(it)))
		line("CATEGORIES", icsText(it.Kind))
		line("END", "VEVENT")
	}
	line("END", "VCALENDAR")
	return bw.Flush()
}

// icsDescription is an event's DESCRIPTION.
func icsDescription(it control.PlanItem) string {
	d := fmt.Sprintf("%s, %s, at %s. Why: %s (%s).", it.Secret, planWhat(it), it.At.UTC().Format(time.RFC3339), planWhy(it), it.Reason)
	if it.Kind == schedule.KindReminder {
		d += fmt.Sprintf("\nThe rotation is due at %s.", it.Due.UTC().Format(time.RFC3339))
	}
	return d + "\nPlanned by rotatord plan; see rotatord status " + it.Secret + "."
}

// itemUID identifies an item across runs: the secret, what happens and
// when. A rescheduled item is a new event (the old one leaves the file).
func itemUID(it control.PlanItem) string {
	h := sha256.Sum256([]byte(strings.Join([]string{it.Secret, it.Kind, it.Reason, it.At.UTC().Format(icsTime)}, "\x00")))
	return hex.EncodeToString(h[:16]) + "@rotatord"
}

// icsText escapes a TEXT value (RFC 5545 3.3.11).
func icsText(s string) string {
	return strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`).Replace(s)
}

// writeFolded writes one content line, folded so that no line is longer
// than 75 octets without its CRLF (RFC 5545 3.1), never inside a UTF-8
// sequence; a continuation line starts with a space.
func writeFolded(w *bufio.Writer, l string) {
	limit := 75
	for len(l) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(l[cut]) {
			cut--
		}
		w.WriteString(l[:cut])
		w.WriteString("\r\n ")
		l = l[cut:]
		limit = 74 // the leading space counts
	}
	w.WriteString(l)
	w.WriteString("\r\n")
}

package file

import "strings"

// Keys of the AWS shared credentials file that this sink owns within its
// profile's section.
const (
	keyAccessKeyID     = "aws_access_key_id"
	keySecretAccessKey = "aws_secret_access_key"
	keySessionToken    = "aws_session_token"
	keySecurityToken   = "aws_security_token"
)

// line is one line of a file: its text without the line ending, and the
// ending itself ("\n", "\r\n", or "" for a last line without one).
type line struct {
	text, eol string
}

func splitLines(src []byte) []line {
	var lines []line
	s := string(src)
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			lines = append(lines, line{text: s})
			break
		}
		l := line{text: s[:i], eol: "\n"}
		if strings.HasSuffix(l.text, "\r") {
			l.text, l.eol = l.text[:len(l.text)-1], "\r\n"
		}
		lines = append(lines, l)
		s = s[i+1:]
	}
	return lines
}

// updateCredentials returns src, an AWS shared credentials file, with the
// section named profile holding id and secret as its static keys. It never
// fails: lines it does not understand are kept as they are.
//
// The file is read the way the AWS SDK for Go v2 reads it (a line-based
// lenient INI: '=' or ':' separators, '#' and ';' comments, keys case
// insensitive, indented lines as sub-properties or continuations, duplicate
// sections merged with later keys winning). Only these lines change:
//
//   - the first aws_access_key_id and aws_secret_access_key line of the
//     profile, counting all of its duplicate sections, gets the new value in
//     place, keeping its key spelling, separator and inline comment;
//   - every other line that sets one of them, and every aws_session_token or
//     aws_security_token line of the profile, is removed, with the indented
//     lines that belong to it, so that no later duplicate overrides the new
//     key and no stale token pairs with it;
//   - a missing key is added next to the other one, or right after the
//     profile's first header;
//   - a missing profile is appended at the end after one blank line.
//
// Every other byte, CRLF line endings included, is kept. New lines use the
// line ending of the file's first line.
func updateCredentials(src []byte, profile, id, secret string) []byte {
	lines := splitLines(src)
	nl := "\n"
	if len(lines) > 0 && lines[0].eol == "\r\n" {
		nl = "\r\n"
	}
	e := scan(lines, profile)

	var b strings.Builder
	pending := false // the last line written has no line ending yet
	emit := func(text, eol string) {
		if pending {
			b.WriteString(nl)
		}
		b.WriteString(text)
		b.WriteString(eol)
		pending = eol == ""
	}
	idLine := keyAccessKeyID + " = " + id
	secretLine := keySecretAccessKey + " = " + secret
	lastBlank := true
	for i, l := range lines {
		if e.idLine < 0 && i == e.secretLine {
			emit(idLine, nl)
		}
		switch {
		case e.drop[i]:
			continue
		case i == e.idLine:
			emit(replaceValue(l.text, e.valueAt[i], id), l.eol)
		case i == e.secretLine:
			emit(replaceValue(l.text, e.valueAt[i], secret), l.eol)
		default:
			emit(l.text, l.eol)
		}
		lastBlank = strings.TrimSpace(l.text) == ""
		switch {
		case i == e.header && e.idLine < 0 && e.secretLine < 0:
			emit(idLine, nl)
			emit(secretLine, nl)
			lastBlank = false
		case i == e.idLine && e.secretLine < 0:
			emit(secretLine, nl)
			lastBlank = false
		}
	}
	if e.header < 0 {
		if b.Len() > 0 && !lastBlank {
			emit("", nl)
		}
		emit("["+profile+"]", nl)
		emit(idLine, nl)
		emit(secretLine, nl)
	}
	return []byte(b.String())
}

// edits is what scan found: the lines to rewrite or drop.
type edits struct {
	header     int // the profile's first section header, or -1
	idLine     int // the aws_access_key_id line to rewrite, or -1
	secretLine int // the aws_secret_access_key line to rewrite, or -1
	drop       []bool
	valueAt    map[int]int // rewritten line → byte offset of its value
}

// scan classifies lines as the AWS SDK does and decides the edits for
// updateCredentials.
func scan(lines []line, profile string) edits {
	e := edits{header: -1, idLine: -1, secretLine: -1, drop: make([]bool, len(lines)), valueAt: map[int]int{}}
	in := false     // inside a section named profile
	ckey := ""      // the current property, as the SDK tracks it
	cEmpty := false // whether its value is empty (indented k=v nest under it)
	owned := false  // whether it is one of ours (its indented lines go with it)
	for i, l := range lines {
		t := l.text
		if strings.TrimSpace(t) == "" || isComment(t) {
			continue
		}
		if name, ok := sectionName(t); ok {
			in, ckey, cEmpty, owned = name == profile, "", false, false
			if in && e.header < 0 {
				e.header = i
			}
			continue
		}
		if !in {
			continue
		}
		indented := t[0] == ' ' || t[0] == '\t'
		key, valueAt, value, ok := splitProperty(t, !indented)
		switch {
		case !indented && !ok:
			continue // the SDK ignores it
		case indented && (!ok || ckey != "" && cEmpty):
			// A continuation or a nested sub-property of ckey.
			e.drop[i] = owned
			continue
		}
		ckey, cEmpty = key, unquote(value) == ""
		owned = true
		switch key {
		case keyAccessKeyID:
			if e.idLine < 0 {
				e.idLine, e.valueAt[i] = i, valueAt
				continue
			}
		case keySecretAccessKey:
			if e.secretLine < 0 {
				e.secretLine, e.valueAt[i] = i, valueAt
				continue
			}
		case keySessionToken, keySecurityToken:
		default:
			owned = false
			continue
		}
		e.drop[i] = true
	}
	return e
}

// replaceValue returns t with the value starting at valueAt replaced by v,
// keeping the key, the separator, and an inline comment, but not indentation
// (an indented line could nest under the line above once that one changes).
func replaceValue(t string, valueAt int, v string) string {
	rest := t[valueAt:]
	suffix := ""
	if c := propertyCommentAt(rest); c >= 0 {
		suffix = rest[len(strings.TrimRight(rest[:c], " \t")):]
	}
	return strings.TrimLeft(t[:valueAt], " \t") + v + suffix
}

func isComment(t string) bool {
	t = strings.TrimLeft(t, " \t")
	return strings.HasPrefix(t, "#") || strings.HasPrefix(t, ";")
}

// sectionName reports whether t is a section header and its name, normalized
// as the SDK does: "[ a  b ] # c" is "a b".
func sectionName(t string) (string, bool) {
	if i := strings.IndexAny(t, "#;"); i >= 0 {
		t = t[:i]
	}
	t = strings.TrimSpace(t)
	if len(t) < 2 || t[0] != '[' || t[len(t)-1] != ']' {
		return "", false
	}
	t = strings.TrimSpace(t[1 : len(t)-1])
	if i := strings.IndexAny(t, " \t"); i >= 0 {
		t = t[:i] + " " + strings.TrimLeft(t[i:], " \t")
	}
	return t, true
}

// splitProperty splits t as "key = value" or "key: value" (whichever
// separator comes first). The key is trimmed and lower-cased; valueAt is the
// offset in t where the value starts; value is trimmed and, for a top-level
// property (cutComment), stops before an inline comment.
func splitProperty(t string, cutComment bool) (key string, valueAt int, value string, ok bool) {
	s := t
	if cutComment {
		if c := propertyCommentAt(s); c >= 0 {
			s = s[:c]
		}
	}
	sep := strings.IndexAny(s, "=:")
	if sep < 0 {
		return "", 0, "", false
	}
	valueAt = sep + 1
	for valueAt < len(s) && (s[valueAt] == ' ' || s[valueAt] == '\t') {
		valueAt++
	}
	value = s[sep+1:]
	if !cutComment {
		if c := propertyCommentAt(value); c >= 0 {
			value = value[:c]
		}
	}
	return strings.ToLower(strings.TrimSpace(s[:sep])), valueAt, strings.TrimSpace(value), true
}

// propertyCommentAt returns where an inline comment starts in a property
// line (a '#' or ';' after a space or tab), or -1.
func propertyCommentAt(s string) int {
	for i := 1; i < len(s); i++ {
		if (s[i] == '#' || s[i] == ';') && (s[i-1] == ' ' || s[i-1] == '\t') {
			return i - 1
		}
	}
	return -1
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

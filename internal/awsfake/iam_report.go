package awsfake

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"net/http"
	"slices"
	"strings"
	"time"
)

// reportLifetime is how long a credential report serves: IAM generates a
// new one "as often as once every four hours", and GetCredentialReport
// answers ReportExpired for an older one.
const reportLifetime = 4 * time.Hour

// reportHeader is the credential report's first line, as the IAM User
// Guide ("Getting credential reports") lists its columns.
var reportHeader = []string{
	"user", "arn", "user_creation_time", "password_enabled", "password_last_used",
	"password_last_changed", "password_next_rotation", "mfa_active",
	"access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
	"access_key_1_last_used_region", "access_key_1_last_used_service",
	"access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
	"access_key_2_last_used_region", "access_key_2_last_used_service",
	"cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
}

// reportTimeFormat is ISO 8601 as the credential report writes it
// ("2024-01-01T00:00:00+00:00"), unlike the XML's "Z".
const reportTimeFormat = "2006-01-02T15:04:05+00:00"

const notApplicable = "N/A"

// credentialReport is the account's credential report: generated (its
// content fixed) at generated, ready for GetCredentialReport from readyAt.
type credentialReport struct {
	generated time.Time
	readyAt   time.Time
	content   []byte // the CSV
}

// WithCredentialReportTime sets how long GenerateCredentialReport takes:
// until d after the call that started it, GenerateCredentialReport answers
// INPROGRESS and GetCredentialReport ReportInProgress. With the default, 0,
// the report is complete for every call after the one that started it.
func WithCredentialReportTime(d time.Duration) Option {
	return func(s *Server) { s.reportTime = max(d, 0) }
}

type generateCredentialReportResult struct {
	Description string `xml:",omitempty"`
	State       string
}

// generateCredentialReportLocked starts a report unless one is being
// generated or is younger than reportLifetime, as IAM does.
func (s *Server) generateCredentialReportLocked(c *Call) (any, *Error) {
	if !c.caller.admin() {
		return nil, errAccessDenied(c.caller.arn(s.account), "iam:GenerateCredentialReport", "*")
	}
	switch r := s.report; {
	case r != nil && c.now.Before(r.readyAt):
		return generateCredentialReportResult{State: "INPROGRESS"}, nil
	case r != nil && c.now.Before(r.generated.Add(reportLifetime)):
		return generateCredentialReportResult{State: "COMPLETE"}, nil
	}
	s.report = &credentialReport{generated: c.now, readyAt: c.now.Add(s.reportTime), content: s.credentialReportLocked(c.now)}
	return generateCredentialReportResult{
		Description: "No report exists. Starting a new report generation task", State: "STARTED",
	}, nil
}

type getCredentialReportResult struct {
	Content       string // base64 of the CSV
	GeneratedTime string
	ReportFormat  string
}

func (s *Server) getCredentialReportLocked(c *Call) (any, *Error) {
	if !c.caller.admin() {
		return nil, errAccessDenied(c.caller.arn(s.account), "iam:GetCredentialReport", "*")
	}
	switch r := s.report; {
	case r == nil:
		return nil, &Error{http.StatusGone, "ReportNotPresent",
			"Credential report does not exist. Use GenerateCredentialReport to generate a report."}
	case c.now.Before(r.readyAt):
		return nil, &Error{http.StatusNotFound, "ReportInProgress", "Credential report is being generated."}
	case !c.now.Before(r.generated.Add(reportLifetime)):
		return nil, &Error{http.StatusGone, "ReportExpired",
			"Credential report has expired. Use GenerateCredentialReport to generate a new report."}
	default:
		return getCredentialReportResult{
			Content: base64.StdEncoding.EncodeToString(r.content), GeneratedTime: wireTime(r.generated), ReportFormat: "text/csv",
		}, nil
	}
}

// credentialReportLocked writes the CSV of the account's users as IAM
// would at now: the root account first, then every user by name, each
// key's last use as IAM shows it at now (see WithLastUsedDelay). Users have
// no password, MFA device or signing certificate here. s.mu must be held.
func (s *Server) credentialReportLocked(now time.Time) []byte {
	users := make([]*user, 0, len(s.users))
	for _, u := range s.users {
		users = append(users, u)
	}
	slices.SortFunc(users, func(a, b *user) int { return strings.Compare(a.name, b.name) })
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(reportHeader) // a bytes.Buffer does not fail
	_ = w.Write(s.rootRowLocked(users, now))
	for _, u := range users {
		row := []string{u.name, userARN(s.account, u), u.created.Format(reportTimeFormat),
			"false", notApplicable, notApplicable, notApplicable, "false"}
		ks := s.userKeysLocked(u.name)
		for i := range 2 {
			row = append(row, s.reportKeyColumnsLocked(ks, i, now)...)
		}
		row = append(row, "false", notApplicable, "false", notApplicable)
		_ = w.Write(row)
	}
	w.Flush()
	return buf.Bytes()
}

// rootRowLocked is the report's <root_account> line. The root user has a
// password IAM knows nothing of the use of, and no access keys; the
// account is as old as its oldest user (or now). s.mu must be held.
func (s *Server) rootRowLocked(users []*user, now time.Time) []string {
	created := now
	for _, u := range users {
		if u.created.Before(created) {
			created = u.created
		}
	}
	row := []string{"<root_account>", "arn:aws:iam::" + s.account + ":root", created.Format(reportTimeFormat),
		"not_supported", "no_information", "not_supported", "not_supported", "false"}
	for range 2 {
		row = append(row, "false", notApplicable, notApplicable, notApplicable, notApplicable)
	}
	return append(row, "false", notApplicable, "false", notApplicable)
}

// reportKeyColumnsLocked are the five access_key_N columns for ks[i] (the
// user's keys, oldest first): active, last rotated (its creation), and its
// last use's date, region and service, "N/A" where there is none.
// s.mu must be held.
func (s *Server) reportKeyColumnsLocked(ks []*accessKey, i int, now time.Time) []string {
	if i >= len(ks) {
		return []string{"false", notApplicable, notApplicable, notApplicable, notApplicable}
	}
	k := ks[i]
	cols := []string{boolText(k.status == statusActive), k.created.Format(reportTimeFormat)}
	if u, ok := s.lastUseLocked(k, now); ok {
		return append(cols, u.at.Format(reportTimeFormat), u.region, u.service)
	}
	return append(cols, notApplicable, notApplicable, notApplicable)
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

package awsfake

import (
	"bytes"
	"encoding/csv"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/rotatord/rotatord/internal/awsfake/awstest"
)

func generateReport(t *testing.T, c *iam.Client) types.ReportStateType {
	t.Helper()
	out, err := c.GenerateCredentialReport(t.Context(), &iam.GenerateCredentialReportInput{})
	if err != nil {
		t.Fatalf("GenerateCredentialReport: %v", err)
	}
	return out.State
}

// wantReportError fails unless err is the SDK's typed error E with code
// and HTTP status.
func wantReportError[E error](t *testing.T, err error, code string, status int) {
	t.Helper()
	var typed E
	if !errors.As(err, &typed) {
		t.Errorf("got %v (%T), want %T", err, err, typed)
	}
	awstest.WantCode(t, err, code)
	if got := awstest.HTTPStatus(err); got != status {
		t.Errorf("got HTTP %d, want %d", got, status)
	}
}

func TestCredentialReportStates(t *testing.T) {
	clock := awstest.NewClock()
	s, url := Start(t, WithClock(clock.Now))
	c := awstest.IAM(url, s.SeedUser("admin", true))

	_, err := c.GetCredentialReport(t.Context(), &iam.GetCredentialReportInput{})
	wantReportError[*types.CredentialReportNotPresentException](t, err, "ReportNotPresent", 410)

	out, err := c.GenerateCredentialReport(t.Context(), &iam.GenerateCredentialReportInput{})
	if err != nil || out.State != types.ReportStateTypeStarted || aws.ToString(out.Description) == "" {
		t.Fatalf("first GenerateCredentialReport: %v, %+v; want STARTED with a description", err, out)
	}
	generated := clock.Now()
	clock.Advance(time.Hour)
	if got := generateReport(t, c); got != types.ReportStateTypeComplete {
		t.Errorf("second GenerateCredentialReport: got %s, want COMPLETE", got)
	}
	if err := s.AddUser("late", false); err != nil {
		t.Fatal(err)
	}
	rep, err := c.GetCredentialReport(t.Context(), &iam.GetCredentialReportInput{})
	if err != nil {
		t.Fatalf("GetCredentialReport: %v", err)
	}
	if rep.ReportFormat != types.ReportFormatTypeTextCsv || !aws.ToTime(rep.GeneratedTime).Equal(generated) {
		t.Errorf("got format %q, generated %v; want text/csv, %v", rep.ReportFormat, aws.ToTime(rep.GeneratedTime), generated)
	}
	if rows := parseReport(t, rep.Content); len(rows) != 3 || rows[2][0] != "admin" {
		t.Errorf("got rows %q, want the header, the root and admin (not a user added after)", rows)
	}

	clock.Advance(3*time.Hour - time.Second) // 4h minus 1s after the report
	if got := generateReport(t, c); got != types.ReportStateTypeComplete {
		t.Errorf("GenerateCredentialReport 1s before 4h: got %s, want COMPLETE (no new report)", got)
	}
	clock.Advance(time.Second)
	_, err = c.GetCredentialReport(t.Context(), &iam.GetCredentialReportInput{})
	wantReportError[*types.CredentialReportExpiredException](t, err, "ReportExpired", 410)
	if got := generateReport(t, c); got != types.ReportStateTypeStarted {
		t.Errorf("GenerateCredentialReport after 4h: got %s, want STARTED", got)
	}
	rep, err = c.GetCredentialReport(t.Context(), &iam.GetCredentialReportInput{})
	if err != nil {
		t.Fatalf("GetCredentialReport of the new report: %v", err)
	}
	if !aws.ToTime(rep.GeneratedTime).Equal(clock.Now()) || len(parseReport(t, rep.Content)) != 4 {
		t.Errorf("new report generated %v with %d lines, want %v with 4 (late included)",
			aws.ToTime(rep.GeneratedTime), len(parseReport(t, rep.Content)), clock.Now())
	}
}

func TestCredentialReportInProgress(t *testing.T) {
	clock := awstest.NewClock()
	s, url := Start(t, WithClock(clock.Now), WithCredentialReportTime(5*time.Minute))
	c := awstest.IAM(url, s.SeedUser("admin", true))

	if got := generateReport(t, c); got != types.ReportStateTypeStarted {
		t.Fatalf("got %s, want STARTED", got)
	}
	clock.Advance(5*time.Minute - time.Second)
	if got := generateReport(t, c); got != types.ReportStateTypeInprogress {
		t.Errorf("during generation: got %s, want INPROGRESS", got)
	}
	_, err := c.GetCredentialReport(t.Context(), &iam.GetCredentialReportInput{})
	wantReportError[*types.CredentialReportNotReadyException](t, err, "ReportInProgress", 404)
	clock.Advance(time.Second)
	if got := generateReport(t, c); got != types.ReportStateTypeComplete {
		t.Errorf("after the generation time: got %s, want COMPLETE", got)
	}
	if _, err := c.GetCredentialReport(t.Context(), &iam.GetCredentialReportInput{}); err != nil {
		t.Errorf("GetCredentialReport after the generation time: %v", err)
	}
}

func TestCredentialReportDenied(t *testing.T) {
	s, url := Start(t)
	bob := awstest.IAM(url, s.SeedUser("bob", false))
	_, err := bob.GenerateCredentialReport(t.Context(), &iam.GenerateCredentialReportInput{})
	awstest.WantCode(t, err, "AccessDenied")
	_, err = bob.GetCredentialReport(t.Context(), &iam.GetCredentialReportInput{})
	awstest.WantCode(t, err, "AccessDenied")
	if got := awstest.HTTPStatus(err); got != 403 {
		t.Errorf("got HTTP %d, want 403", got)
	}
}

// parseReport parses a report's content with encoding/csv: the header,
// then one record per line.
func parseReport(t *testing.T, content []byte) [][]string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(content))
	r.FieldsPerRecord = len(wantReportHeader)
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("parse the report: %v\n%s", err, content)
	}
	return rows
}

// wantReportHeader is the header as AWS documents it.
var wantReportHeader = strings.Split("user,arn,user_creation_time,password_enabled,password_last_used,"+
	"password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"+
	"access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"+
	"access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,"+
	"access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated", ",")

var reportTimePattern = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$`)

// reportTime parses a report's ISO 8601 time, failing on any other shape.
func reportTime(t *testing.T, v string) time.Time {
	t.Helper()
	if !reportTimePattern.MatchString(v) {
		t.Fatalf("got time %q, want ISO 8601 as 2006-01-02T15:04:05+00:00", v)
	}
	got, err := time.Parse(time.RFC3339, v)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// An account of 300 users over paths, some with two keys, some never used,
// some used yesterday (by a real call or seeded): the report has every
// user once and agrees with ListUsers, ListAccessKeys and
// GetAccessKeyLastUsed for every key.
func TestCredentialReportAgreesWithPerUserCalls(t *testing.T) {
	clock := awstest.NewClock()
	s, url := Start(t, WithClock(clock.Now))
	c := awstest.IAM(url, s.SeedUser("admin", true), bufferedBodies)
	seedAccount(t, s, clock, 300)

	if err := s.SetKeyStatus(s.Keys("u020")[0].ID, statusInactive); err != nil {
		t.Fatal(err)
	}
	// z-real uses its key for real, a day before the report.
	u1 := s.SeedUser("z-real", false)
	callSTS(t, url, u1, "eu-north-1")
	clock.Advance(24 * time.Hour)
	yesterday := clock.Now().Add(-24 * time.Hour)
	services := []struct{ service, region string }{{"s3", "N/A"}, {"ssm", "eu-west-1"}, {"secretsmanager", "us-west-2"}, {"dynamodb", "ap-south-1"}}
	for i, name := range []string{"u000", "u003", "u006", "u009", "u010", "u015"} {
		ks := s.Keys(name)
		sv := services[i%len(services)]
		if err := s.SetLastUsed(ks[len(ks)-1].ID, yesterday.Add(time.Duration(i)*time.Minute), sv.service, sv.region); err != nil {
			t.Fatal(err)
		}
	}

	if got := generateReport(t, c); got != types.ReportStateTypeStarted {
		t.Fatalf("got %s, want STARTED", got)
	}
	rep, err := c.GetCredentialReport(t.Context(), &iam.GetCredentialReportInput{})
	if err != nil {
		t.Fatalf("GetCredentialReport: %v", err)
	}
	rows := parseReport(t, rep.Content)
	if !slices.Equal(rows[0], wantReportHeader) {
		t.Fatalf("got header %q, want %q", rows[0], wantReportHeader)
	}
	root := rows[1]
	if root[0] != "<root_account>" || root[1] != "arn:aws:iam::123456789012:root" || root[3] != "not_supported" ||
		!slices.Equal(root[5:7], []string{"not_supported", "not_supported"}) || root[8] != "false" || root[13] != "false" {
		t.Errorf("got root row %q, want <root_account> with not_supported password fields and no keys", root)
	}
	reportTime(t, root[2])

	users, _, arns, _ := listUsers(t, c, "/", 1000)
	if got := len(rows) - 2; got != len(users) {
		t.Fatalf("report has %d user rows, ListUsers %d users", got, len(users))
	}
	byName := map[string][]string{}
	for _, row := range rows[2:] {
		if byName[row[0]] != nil {
			t.Errorf("user %s listed twice", row[0])
		}
		byName[row[0]] = row
	}
	var neverUsed, usedYesterday, twoKeys, inactive int
	for i, name := range users {
		row := byName[name]
		if row == nil {
			t.Errorf("user %s is missing from the report", name)
			continue
		}
		if row[1] != arns[i] {
			t.Errorf("%s: got arn %q, ListUsers says %q", name, row[1], arns[i])
		}
		reportTime(t, row[2])
		if got := row[3:8]; !slices.Equal(got, []string{"false", "N/A", "N/A", "N/A", "false"}) {
			t.Errorf("%s: got password and MFA columns %q, want false, N/A x3, false", name, got)
		}
		if got := row[18:]; !slices.Equal(got, []string{"false", "N/A", "false", "N/A"}) {
			t.Errorf("%s: got certificate columns %q, want false, N/A, false, N/A", name, got)
		}
		keys, err := c.ListAccessKeys(t.Context(), &iam.ListAccessKeysInput{UserName: aws.String(name)})
		if err != nil {
			t.Fatalf("ListAccessKeys %s: %v", name, err)
		}
		if len(keys.AccessKeyMetadata) == 2 {
			twoKeys++
		}
		for slot := range 2 {
			cols := row[8+5*slot : 13+5*slot]
			if slot >= len(keys.AccessKeyMetadata) {
				if !slices.Equal(cols, []string{"false", "N/A", "N/A", "N/A", "N/A"}) {
					t.Errorf("%s key %d: got %q for no key", name, slot+1, cols)
				}
				continue
			}
			m := keys.AccessKeyMetadata[slot]
			if want := boolText(m.Status == types.StatusTypeActive); cols[0] != want {
				t.Errorf("%s key %d: got active %q, want %q", name, slot+1, cols[0], want)
			}
			if m.Status != types.StatusTypeActive {
				inactive++
			}
			if got := reportTime(t, cols[1]); !got.Equal(aws.ToTime(m.CreateDate)) {
				t.Errorf("%s key %d: got last rotated %v, want its creation %v", name, slot+1, got, aws.ToTime(m.CreateDate))
			}
			last := getLastUsed(t, c, aws.ToString(m.AccessKeyId))
			if last.date.IsZero() {
				neverUsed++
				if !slices.Equal(cols[2:], []string{"N/A", "N/A", "N/A"}) {
					t.Errorf("%s key %d: never used, got %q, want N/A x3", name, slot+1, cols[2:])
				}
				continue
			}
			if last.date.Before(clock.Now().Add(-25 * time.Hour)) {
				t.Errorf("%s key %d: last used %v, longer ago than the test made it", name, slot+1, last.date)
			} else if last.user != "admin" {
				usedYesterday++
			}
			if got := reportTime(t, cols[2]); !got.Equal(last.date) || cols[3] != last.region || cols[4] != last.service {
				t.Errorf("%s key %d: report says %q, GetAccessKeyLastUsed %+v", name, slot+1, cols[2:], last)
			}
		}
	}
	if neverUsed != 354 || usedYesterday != 7 || twoKeys != 60 || inactive != 1 {
		t.Errorf("got %d never used, %d used yesterday, %d users with two keys, %d inactive; want 354 (of 362 keys), 7, 60, 1",
			neverUsed, usedYesterday, twoKeys, inactive)
	}
}

// The report shows last use as IAM shows it when the report is made:
// a use inside the delay is not in it.
func TestCredentialReportLastUsedDelay(t *testing.T) {
	clock := awstest.NewClock()
	s, url := Start(t, WithClock(clock.Now), WithLastUsedDelay(4*time.Hour))
	c := awstest.IAM(url, s.SeedUser("admin", true))
	alice := s.SeedUser("alice", false)
	callSTS(t, url, alice, "eu-west-1")
	used := clock.Now()

	report := func() []string {
		t.Helper()
		generateReport(t, c)
		rep, err := c.GetCredentialReport(t.Context(), &iam.GetCredentialReportInput{})
		if err != nil {
			t.Fatalf("GetCredentialReport: %v", err)
		}
		for _, row := range parseReport(t, rep.Content) {
			if row[0] == "alice" {
				return row[10:13]
			}
		}
		t.Fatal("alice is not in the report")
		return nil
	}
	if got := report(); !slices.Equal(got, []string{"N/A", "N/A", "N/A"}) {
		t.Errorf("report made inside the delay: got %q, want N/A x3", got)
	}
	clock.Advance(4 * time.Hour)
	if got := report(); len(got) != 3 || !reportTime(t, got[0]).Equal(used) || got[1] != "eu-west-1" || got[2] != "sts" {
		t.Errorf("report made after the delay: got %q, want %v, eu-west-1, sts", got, used)
	}
}

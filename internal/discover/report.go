package discover

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
)

// reportUser is one user's line of the credential report.
type reportUser struct {
	name, path string
	slots      []reportKey // access_key_1, access_key_2 that hold a key
}

// reportKey is one access_key_N group of columns: the key's creation
// ("last_rotated") and last use. The report has no key ID.
type reportKey struct {
	created  time.Time
	lastUsed *time.Time
	service  string
	region   string
}

// fromReport reads the credential report, then each user's key IDs with
// ListAccessKeys (one call per user that has keys), and matches them to
// the report's access_key_1/access_key_2 columns by creation time: the
// report's access_key_N_last_rotated is the key's CreateDate, to the
// second. Keys created in the same second are matched in ListAccessKeys'
// order by creation date then key ID, access_key_1 first (IAM fills
// access_key_1 first). A key the report does not show (created after the
// report was made) gets its last use from GetAccessKeyLastUsed; a key the
// report shows that no longer exists is left out. Users created after the
// report are not listed: the report is at most four hours old.
func fromReport(ctx context.Context, c *iam.Client, opts Options) ([]Key, error) {
	content, err := credentialReport(ctx, c, opts.Wait)
	if err != nil {
		return nil, err
	}
	all, err := parseReport(content)
	if err != nil {
		return nil, err
	}
	var users []reportUser
	for _, u := range all {
		if strings.HasPrefix(u.path, opts.PathPrefix) && len(u.slots) > 0 {
			users = append(users, u)
		}
	}
	return keysOf(ctx, len(users), opts, func(i int) ([]Key, error) {
		u := users[i]
		listed, err := listKeys(ctx, c, u.name)
		if err != nil {
			return nil, err
		}
		var ks []Key
		taken := make([]bool, len(u.slots))
		for _, m := range sortedByCreation(listed) {
			k := newKey(u.name, u.path, m)
			if s := matchSlot(u.slots, taken, k.Created); s >= 0 {
				k.LastUsed, k.LastUsedService, k.LastUsedRegion = u.slots[s].lastUsed, u.slots[s].service, u.slots[s].region
			} else if err := lastUsed(ctx, c, &k); err != nil {
				return nil, err
			}
			ks = append(ks, k)
		}
		return ks, nil
	})
}

// matchSlot returns the first slot not yet taken whose key was created at
// created (to the second), and takes it; -1 if none.
func matchSlot(slots []reportKey, taken []bool, created time.Time) int {
	for i, s := range slots {
		if !taken[i] && s.created.Equal(created.Truncate(time.Second)) {
			taken[i] = true
			return i
		}
	}
	return -1
}

func sortedByCreation(ms []types.AccessKeyMetadata) []types.AccessKeyMetadata {
	out := append([]types.AccessKeyMetadata(nil), ms...)
	for i := 1; i < len(out); i++ { // at most two keys: an insertion sort
		for j := i; j > 0 && less(out[j], out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func less(a, b types.AccessKeyMetadata) bool {
	ta, tb := aws.ToTime(a.CreateDate), aws.ToTime(b.CreateDate)
	if !ta.Equal(tb) {
		return ta.Before(tb)
	}
	return aws.ToString(a.AccessKeyId) < aws.ToString(b.AccessKeyId)
}

// credentialReport generates the account's credential report until IAM
// says it is COMPLETE (IAM reuses one younger than four hours), then gets
// it, waiting with wait between looks. An AccessDenied is returned as it
// came, for Auto to fall back on.
func credentialReport(ctx context.Context, c *iam.Client, wait func(context.Context, int) error) ([]byte, error) {
	for attempt := 1; ; attempt++ {
		gen, err := c.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
		if err != nil {
			return nil, fmt.Errorf("generate the credential report (iam:GenerateCredentialReport): %w", err)
		}
		if gen.State == types.ReportStateTypeComplete {
			out, err := c.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
			if err == nil {
				return out.Content, nil
			}
			if !reportNotReady(err) {
				return nil, fmt.Errorf("get the credential report (iam:GetCredentialReport): %w", err)
			}
		}
		if attempt > maxWaits {
			return nil, fmt.Errorf("the credential report is still being generated after %d looks: try again later, or use --source per-user", attempt)
		}
		if err := wait(ctx, attempt); err != nil {
			return nil, fmt.Errorf("wait for the credential report: %w", err)
		}
	}
}

// reportNotReady reports whether GetCredentialReport's error means the
// report is being (or must be) generated again.
func reportNotReady(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "ReportInProgress", "ReportNotPresent", "ReportExpired":
		return true
	}
	return false
}

// reportTimeLayout is the report's ISO 8601 ("2024-01-01T00:00:00+00:00").
const reportTimeLayout = time.RFC3339

// parseReport reads the report's CSV by its header's column names. The
// <root_account> line is skipped: the root user's keys are not IAM users'.
func parseReport(content []byte) ([]reportUser, error) {
	r := csv.NewReader(bytes.NewReader(content))
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("parse the credential report: %w", err)
	}
	if len(rows) == 0 {
		return nil, errors.New("parse the credential report: it is empty")
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	for _, name := range []string{"user", "arn", "access_key_1_last_rotated", "access_key_2_last_rotated",
		"access_key_1_last_used_date", "access_key_2_last_used_date", "access_key_1_last_used_service",
		"access_key_2_last_used_service", "access_key_1_last_used_region", "access_key_2_last_used_region"} {
		if _, ok := col[name]; !ok {
			return nil, fmt.Errorf("parse the credential report: no column %s", name)
		}
	}
	var users []reportUser
	for n, row := range rows[1:] {
		if row[col["user"]] == "<root_account>" {
			continue
		}
		u := reportUser{name: row[col["user"]], path: pathOf(row[col["arn"]])}
		for _, slot := range []string{"access_key_1_", "access_key_2_"} {
			k, ok, err := reportSlot(row, col, slot)
			if err != nil {
				return nil, fmt.Errorf("parse the credential report: line %d (%s): %w", n+2, u.name, err)
			}
			if ok {
				u.slots = append(u.slots, k)
			}
		}
		users = append(users, u)
	}
	return users, nil
}

// reportSlot reads one access_key_N group; false when it holds no key
// (last_rotated N/A).
func reportSlot(row []string, col map[string]int, prefix string) (reportKey, bool, error) {
	rotated := row[col[prefix+"last_rotated"]]
	if rotated == notApplicable || rotated == "" {
		return reportKey{}, false, nil
	}
	created, err := time.Parse(reportTimeLayout, rotated)
	if err != nil {
		return reportKey{}, false, fmt.Errorf("%slast_rotated: %w", prefix, err)
	}
	k := reportKey{created: created.UTC()}
	if used := row[col[prefix+"last_used_date"]]; used != notApplicable && used != "" {
		t, err := time.Parse(reportTimeLayout, used)
		if err != nil {
			return reportKey{}, false, fmt.Errorf("%slast_used_date: %w", prefix, err)
		}
		t = t.UTC()
		k.lastUsed = &t
		k.service, k.region = orEmpty(row[col[prefix+"last_used_service"]]), orEmpty(row[col[prefix+"last_used_region"]])
	}
	return k, true, nil
}

// pathOf is a user's path from its ARN, arn:aws:iam::ACCOUNT:user/PATH/NAME
// (a user name holds no "/").
func pathOf(arn string) string {
	_, res, ok := strings.Cut(arn, ":user/")
	if !ok {
		return "/"
	}
	return "/" + res[:strings.LastIndex(res, "/")+1]
}

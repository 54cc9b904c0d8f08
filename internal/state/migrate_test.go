package state

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/awsfake/dynamodbfake"
)

// migrateValue is the secret access key of version n of secret s in the
// migration tests: distinct, and recognisable in raw bytes.
func migrateValue(s string, n int) string {
	return fmt.Sprintf("wJalrXUtnFEMI/K7MDENG+bPxRfiCY%s%02dMIGRATE", strings.ReplaceAll(s, "/", ""), n)
}

// seedMigration fills b with secrets that have what a real store has:
// several versions (a retired one without value), a rotation left open
// in delivering with sinks still lacking the new key, an archived secret
// without history, and a history longer than one DynamoDB transaction,
// its events interleaved with another secret's. It returns every value.
func seedMigration(t *testing.T, b *Bolt) []string {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2025, 3, 4, 5, 6, 7, 890, time.FixedZone("CET", 3600))
	var values []string
	value := func(s string, n int) config.SecretValue {
		v := migrateValue(s, n)
		values = append(values, v)
		return config.SecretValue(v)
	}
	update := func(name string, fn func(tx *Tx)) {
		t.Helper()
		if err := b.Update(ctx, name, func(tx *Tx) error { fn(tx); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	// /team/a: rotated twice; v1 retired (its value wiped), v2 previous,
	// v3 current, delivered and committed.
	for n := 1; n <= 3; n++ {
		update("/team/a", func(tx *Tx) {
			s := tx.Secret
			s.UserName, s.UserARN = "a", "arn:aws:iam::123456789012:user/a"
			for i := range s.Versions {
				switch s.Versions[i].State {
				case Current:
					s.Versions[i].State, s.Versions[i].Replaced = Previous, at.Add(time.Duration(n)*time.Hour)
				case Previous:
					s.Versions[i].State, s.Versions[i].Retired, s.Versions[i].Value = Retired, at.Add(time.Duration(n)*time.Hour), ""
				}
			}
			keyID := fmt.Sprintf("AKIAMIGRATEA%d", n)
			s.Versions = append(s.Versions, Version{
				N: n, AccessKeyID: keyID, State: Current, Created: at.Add(time.Duration(n) * time.Hour),
				Value:     value("/team/a", n),
				Delivered: map[string]time.Time{"file:/run/a.ini": at.Add(time.Duration(n) * time.Hour)},
				Committed: map[string]time.Time{"secretsmanager:a": at.Add(time.Duration(n) * time.Hour)},
				Imported:  n == 1,
			})
			s.LastRotation = at.Add(time.Duration(n) * time.Hour)
			tx.Audit(fmt.Sprintf("r-a-%d", n), "rotation.finished", keyID, fmt.Sprintf("version %d", n))
		})
	}
	// /team/b: a rotation left delivering: v2 pending, one sink has it,
	// the other does not; the journal counts delivery attempts.
	update("/team/b", func(tx *Tx) {
		tx.Secret.UserName = "b"
		tx.Secret.Versions = []Version{
			{N: 1, AccessKeyID: "AKIAMIGRATEB1", State: Current, Created: at, Value: value("/team/b", 1), Imported: true},
			{N: 2, AccessKeyID: "AKIAMIGRATEB2", State: Pending, Created: at.Add(time.Minute), Value: value("/team/b", 2),
				Delivered: map[string]time.Time{"file:/run/b.ini": at.Add(2 * time.Minute)}},
		}
		tx.Secret.Journal = &Journal{
			RotationID: "r-b-2", Started: time.Now(), Step: StepDelivering, Manual: true,
			CurrentKeyID: "AKIAMIGRATEB1", KeysAtInspect: []string{"AKIAMIGRATEB1"}, NewKeyID: "AKIAMIGRATEB2",
			CreateAttempts: 1, DeliveryAttempts: 3, NextDelivery: at.Add(time.Hour),
		}
		tx.Secret.LastError, tx.Secret.LastErrorAt = "deliver to webhook:1: 503 Service Unavailable", at.Add(3*time.Minute)
		tx.Audit("r-b-2", "rotation.begun", "AKIAMIGRATEB1", "")
		tx.Audit("r-b-2", "delivery.failed", "AKIAMIGRATEB2", "webhook:1: 503")
	})
	// /team/c: archived, no history at all.
	update("/team/c", func(tx *Tx) {
		tx.Secret.Archived = true
		tx.Secret.Versions = []Version{{N: 1, AccessKeyID: "AKIAMIGRATEC1", State: Retired, Created: at, Retired: at}}
	})
	// /team/long: 130 events, every tenth followed by one of /team/a.
	for i := range 130 {
		update("/team/long", func(tx *Tx) {
			if len(tx.Secret.Versions) == 0 {
				tx.Secret.Versions = []Version{{N: 1, AccessKeyID: "AKIAMIGRATEL1", State: Current, Value: value("/team/long", 1)}}
			}
			tx.Audit("", "schedule.checked", "AKIAMIGRATEL1", fmt.Sprintf("check %d", i))
		})
		if i%10 == 0 {
			update("/team/a", func(tx *Tx) { tx.Audit("", "schedule.checked", "", fmt.Sprintf("a check %d", i)) })
		}
	}
	return values
}

// testStore is what the migration tests read and write of a store.
type testStore interface {
	Reader
	Updater
	AuditLog
}

// sameStores fails the test unless a and b hold equal states (times
// compared in UTC) and equal histories, Seq and Time included. It returns
// the largest Seq.
func sameStores(t *testing.T, what string, a, b testStore) uint64 {
	t.Helper()
	ctx := context.Background()
	la, err := a.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lb, err := b.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(la) != len(lb) || len(la) == 0 {
		t.Fatalf("%s: %d secrets, then %d", what, len(la), len(lb))
	}
	var maxSeq uint64
	for i := range la {
		if !reflect.DeepEqual(normalized(la[i]), normalized(lb[i])) {
			t.Errorf("%s: secret %d differs:\n%+v\n%+v", what, i, la[i], lb[i])
		}
		ha, err := a.History(ctx, la[i].Name)
		if err != nil {
			t.Fatal(err)
		}
		hb, err := b.History(ctx, la[i].Name)
		if err != nil {
			t.Fatal(err)
		}
		if len(ha) != len(hb) {
			t.Errorf("%s: %s has %d events, then %d", what, la[i].Name, len(ha), len(hb))
			continue
		}
		for j := range ha {
			ea, eb := ha[j], hb[j]
			if !ea.Time.Equal(eb.Time) {
				t.Errorf("%s: %s event %d at %v, then %v", what, la[i].Name, ea.Seq, ea.Time, eb.Time)
			}
			ea.Time, eb.Time = ea.Time.UTC(), eb.Time.UTC()
			if ea != eb {
				t.Errorf("%s: %s event %d:\n%+v\n%+v", what, la[i].Name, j, ea, eb)
			}
			maxSeq = max(maxSeq, ea.Seq)
		}
	}
	return maxSeq
}

// appendsAfter checks that a normal Update of st files its event after
// every Seq up to max.
func appendsAfter(t *testing.T, what string, st testStore, maxSeq uint64) {
	t.Helper()
	ctx := context.Background()
	old, err := st.History(ctx, "/team/c")
	if err != nil {
		t.Fatal(err)
	}
	err = st.Update(ctx, "/team/c", func(tx *Tx) error {
		tx.Audit("", "test.after-migrate", "", what)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := st.History(ctx, "/team/c")
	if err != nil || len(h) != len(old)+1 || h[len(h)-1].Detail != what {
		t.Fatalf("%s: history of /team/c %+v, %v; want one new event", what, h, err)
	}
	if seq := h[len(h)-1].Seq; seq <= maxSeq {
		t.Errorf("%s: a new event got Seq %d, not above the imported %d", what, seq, maxSeq)
	}
}

// TestMigrate copies a bbolt store into DynamoDB and back into a new
// bbolt file: each copy holds equal states and equal histories (Seq and
// Time kept); a later Update numbers its events after the imported ones;
// a store that holds state is refused as a destination and left as it
// was; no DynamoDB item holds a secret value in clear.
func TestMigrate(t *testing.T) {
	ctx := context.Background()
	src, _ := openTemp(t, WithClock(newTestClock().Now))
	values := seedMigration(t, src)

	fake, cfg := dynamoWorld(t)
	dyn, err := OpenDynamo(ctx, cfg, "rotatord", testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	stats, err := copyStore(ctx, src, dyn)
	if err != nil {
		t.Fatal(err)
	}
	// 3 + 2 + 1 + 1 versions; 3 + 13 + 2 + 130 events.
	if want := (MigrateStats{Secrets: 4, Versions: 7, Events: 148}); stats != want {
		t.Errorf("bbolt → dynamodb copied %+v, want %+v", stats, want)
	}
	maxSeq := sameStores(t, "bbolt → dynamodb", src, dyn)
	if maxSeq != 148 {
		t.Errorf("the largest Seq is %d, want 148", maxSeq)
	}

	// The destination is not empty now: refused, and nothing written.
	before, err := fake.Table("rotatord")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := copyStore(ctx, src, dyn); err == nil || !strings.Contains(err.Error(), "already holds state (4 secrets)") {
		t.Errorf("migrate into a table with state: %v", err)
	}
	s, _ := src.Get(ctx, "/team/a")
	if err := dyn.Import(ctx, s, nil); !errors.Is(err, ErrExists) {
		t.Errorf("import of a secret the table holds: %v, want ErrExists", err)
	}
	after, err := fake.Table("rotatord")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(before.Items, after.Items) {
		t.Errorf("a refused migration changed the table: %d items, then %d", len(before.Items), len(after.Items))
	}
	checkNoValue(t, after, values)

	appendsAfter(t, "dynamodb", dyn, maxSeq)

	dst, err := Open(filepath.Join(t.TempDir(), "copy.db"), testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dst.Close() })
	stats, err = copyStore(ctx, dyn, dst)
	if err != nil {
		t.Fatal(err)
	}
	if want := (MigrateStats{Secrets: 4, Versions: 7, Events: 149}); stats != want {
		t.Errorf("dynamodb → bbolt copied %+v, want %+v", stats, want)
	}
	maxSeq = sameStores(t, "dynamodb → bbolt", dyn, dst)
	if _, err := copyStore(ctx, dyn, dst); err == nil || !strings.Contains(err.Error(), "migrate only into an empty store") {
		t.Errorf("migrate into a bbolt file with state: %v", err)
	}
	if err := dst.Import(ctx, s, nil); !errors.Is(err, ErrExists) {
		t.Errorf("import of a secret the file holds: %v, want ErrExists", err)
	}
	sameStores(t, "after refusals", dyn, dst)
	appendsAfter(t, "bbolt", dst, maxSeq)
}

// checkNoValue fails the test if any item of table holds a value in
// clear, hex or base64.
func checkNoValue(t *testing.T, table dynamodbfake.Table, values []string) {
	t.Helper()
	raw := table.Raw()
	if !bytes.Contains(raw, []byte("AKIAMIGRATEA3")) {
		t.Fatal("the items lack a key id: the search would prove nothing")
	}
	for _, v := range values {
		for _, form := range encodings(v) {
			if bytes.Contains(raw, []byte(form)) {
				t.Errorf("an item holds value %s as %q", v, form)
			}
		}
	}
}

// TestMigrateImportChecksEvents: Import refuses events of another secret and
// events out of order, and writes nothing then.
func TestMigrateImportChecksEvents(t *testing.T) {
	ctx := context.Background()
	b, _ := openTemp(t)
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name   string
		events []Event
		want   string
	}{
		{"another secret", []Event{{Seq: 1, Time: at, Secret: "/other", Kind: "k"}}, "belongs to /other"},
		{"out of order", []Event{{Seq: 2, Time: at, Kind: "k"}, {Seq: 1, Time: at, Kind: "k"}}, "oldest first"},
		{"no sequence", []Event{{Time: at, Kind: "k"}}, "oldest first"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := b.Import(ctx, &Secret{Name: "/x"}, tt.events)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want %q", err, tt.want)
			}
			if _, err := b.Get(ctx, "/x"); !errors.Is(err, ErrNotFound) {
				t.Errorf("a refused import wrote state: %v", err)
			}
		})
	}
}

package state

import (
	"reflect"
	"testing"
	"time"
)

// TestNormalizedIsDecoded: the cache's form of a written secret is exactly
// what decoding the written record gives.
func TestNormalizedIsDecoded(t *testing.T) {
	sl, err := NewSealer(make([]byte, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	ny := time.FixedZone("NY", -5*3600)
	at := time.Date(2026, 3, 1, 10, 0, 0, 5, ny)
	cases := []*Secret{
		{Name: "/empty"},
		{Name: "/full", UserName: "u", UserARN: "arn", LastRotation: at, LastError: "e", LastErrorAt: at, Archived: true,
			Versions: []Version{
				{N: 1, AccessKeyID: "AKIA1", State: Retired, Value: "wiped-on-write", Created: at, Retired: at, Delivered: map[string]time.Time{}},
				{N: 2, AccessKeyID: "AKIA2", State: Previous, Value: "v2", Created: at, Replaced: at, Delivered: map[string]time.Time{"f": at}},
				{N: 3, AccessKeyID: "AKIA3", State: Current, Value: "v3", Committed: map[string]time.Time{"sm": at}, Imported: true},
				{N: 4, AccessKeyID: "AKIA4", State: Pending},
			},
			Journal: &Journal{RotationID: "r", Started: at, Step: StepCreated, KeysAtInspect: []string{}, NewKeyID: "AKIA4", NextDelivery: at},
			Held: &Hold{KeyID: "AKIA2", Since: at, LastUsed: at, Service: "s3", Region: "eu-west-1", Unsettled: true,
				NextLook: at, Notified: at, Rotation: true, Kept: true},
		},
	}
	for _, s := range cases {
		data, err := encodeSecret(sl, s)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeSecret(sl, data)
		if err != nil {
			t.Fatal(err)
		}
		if want := normalized(s); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: decoded\n%+v\nnormalized\n%+v", s.Name, got, want)
		}
	}
}

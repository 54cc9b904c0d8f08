package awstest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/smithy-go"
)

func TestErrorHelpers(t *testing.T) {
	api := fmt.Errorf("call: %w", &smithy.GenericAPIError{Code: "NoSuchEntity", Message: "no user alice"})
	tests := []struct {
		name          string
		err           error
		code, message string
		isAPI         bool
	}{
		{"nil", nil, "", "", false},
		{"not an API error", errors.New("dial: refused"), "", "", false},
		{"wrapped API error", api, "NoSuchEntity", "no user alice", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Code(tt.err); got != tt.code {
				t.Errorf("Code = %q, want %q", got, tt.code)
			}
			if got := Message(tt.err); got != tt.message {
				t.Errorf("Message = %q, want %q", got, tt.message)
			}
			if got := IsType[*smithy.GenericAPIError](tt.err); got != tt.isAPI {
				t.Errorf("IsType = %v, want %v", got, tt.isAPI)
			}
			if got := HTTPStatus(tt.err); got != 0 {
				t.Errorf("HTTPStatus = %d, want 0 without a response", got)
			}
		})
	}
}

func TestClock(t *testing.T) {
	c := NewClock()
	start := c.Now()
	if got := c.Now(); !got.Equal(start) {
		t.Fatalf("a second reading moved the clock: %v, then %v", start, got)
	}
	c.Advance(90 * time.Second)
	if got, want := c.Now(), start.Add(90*time.Second); !got.Equal(want) {
		t.Errorf("after Advance(90s): got %v, want %v", got, want)
	}
}

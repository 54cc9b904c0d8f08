package awsfake

import (
	"context"
	"net"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rotatord/rotatord/internal/awsfake/awstest"
)

func TestServeOnLoopback(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := New()
	creds := s.SeedUser("demo", true)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()

	h := s.Hold("GetCallerIdentity")
	callErr := make(chan error, 1)
	go func() {
		_, err := awstest.STS("http://"+ln.Addr().String(), creds).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
		callErr <- err
	}()
	<-h.Reached()
	cancel() // shutting down releases the held call and waits for it
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if err := <-callErr; err != nil {
		t.Errorf("in-flight call during shutdown: %v", err)
	}
}

func TestZeroValueServer(t *testing.T) {
	var s Server
	ts := httptest.NewServer(&s)
	defer ts.Close()
	creds := s.SeedUser("alice", false)
	out, err := awstest.STS(ts.URL, creds).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	if got, want := aws.ToString(out.Account), DefaultAccount; got != want {
		t.Errorf("got account %q, want %q", got, want)
	}
}

func TestConcurrentUse(t *testing.T) {
	s, url := Start(t)
	admin := awstest.IAM(url, s.SeedUser("admin", true))
	const users = 8
	var wg sync.WaitGroup
	errs := make(chan error, users*4)
	for i := range users {
		name := "user" + string(rune('a'+i))
		own := s.SeedUser(name, false)
		wg.Go(func() {
			ctx := t.Context()
			out, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
			if err != nil {
				errs <- err
				return
			}
			if _, err := awstest.STS(url, own).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
				errs <- err
			}
			if _, err := awstest.IAM(url, own).DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: out.AccessKey.AccessKeyId}); err != nil {
				errs <- err
			}
			if _, err := admin.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(name)}); err != nil {
				errs <- err
			}
			s.Calls("CreateAccessKey")
			s.Keys(name)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := s.Calls("CreateAccessKey"); got != users {
		t.Errorf("Calls(CreateAccessKey) = %d, want %d", got, users)
	}
	for i := range users {
		name := "user" + string(rune('a'+i))
		if ks := s.Keys(name); len(ks) != 1 {
			t.Errorf("%s has %d keys, want 1", name, len(ks))
		}
	}
}

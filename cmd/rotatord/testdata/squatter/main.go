// Command squatter is the forged control socket of cmd/rotatord's tests.
// Run as another user, it listens on the unix socket named by its first
// argument and answers every request as rotatord's daemon would, with the
// forged secret access key given as its second argument, printing
// "request PATH" for each request. It prints "listening" once clients can
// connect, and exits when its standard input closes.
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Println("usage: squatter SOCKET FORGED_KEY")
		os.Exit(2)
	}
	path, forged := os.Args[1], os.Args[2]
	ln, err := net.Listen("unix", path)
	if err != nil {
		fmt.Println("listen:", err)
		os.Exit(1)
	}
	var mu sync.Mutex
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		fmt.Println("request", r.URL.Path)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		name := r.URL.Query().Get("name")
		switch r.URL.Path {
		case "/v1/list":
			fmt.Fprint(w, `[{"name":"/team/app","target":"prod","key_id":"AKIAFORGEDFORGED","state":"ok"}]`)
		case "/v1/rotate":
			fmt.Fprint(w, `{"RotationID":"r-forged","OldKeyID":"AKIAOLD","NewKeyID":"AKIAFORGEDFORGED","Version":9}`)
		default:
			fmt.Fprintf(w, `{"n":9,"access_key_id":"AKIAFORGEDFORGED","state":"current","value":%q,"name":%q}`, forged, name)
		}
	})
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); os.Exit(0) }()
	fmt.Println("listening")
	_ = http.Serve(ln, h)
}

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// signalContext returns a context that the first SIGINT or SIGTERM
// cancels: the command stops what it does at its next safe step (the
// daemon stops scheduling and lets running rotations finish within
// shutdown_timeout). A second SIGINT or SIGTERM, while that takes too long,
// ends the process at once, as kubectl and docker do: it writes one line
// to stderr and calls exit with 128 plus the signal's number (130 for
// SIGINT, 143 for SIGTERM), the status a shell reports for a process that
// the signal killed. The state store journals every step before the next,
// so the next start resumes what was cut short. stop stops listening.
func signalContext(parent context.Context, stderr io.Writer, exit func(code int)) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancel(parent)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		first := true
		for {
			select {
			case s := <-sigs:
				if first {
					first = false
					cancel()
					continue
				}
				name, code := describe(s)
				fmt.Fprintf(stderr, "rotatord: second %s: exiting now (status %d) without waiting for running work; the next start resumes an open rotation\n", name, code)
				exit(code)
				return
			case <-done:
				return
			}
		}
	}()
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			signal.Stop(sigs)
			close(done)
			cancel()
		})
	}
}

// describe returns a signal's name and the exit status that reports it.
func describe(s os.Signal) (name string, code int) {
	n := 0
	if sig, ok := s.(syscall.Signal); ok {
		n = int(sig)
	}
	switch s {
	case os.Interrupt:
		name = "SIGINT"
	case syscall.SIGTERM:
		name = "SIGTERM"
	default:
		name = s.String()
	}
	return name, 128 + n
}

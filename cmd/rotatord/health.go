package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"
)

// healthTimeout bounds `rotatord health`'s request.
const healthTimeout = 5 * time.Second

func (c *cli) healthCommand() *cobra.Command {
	var listen string
	var ready bool
	cmd := &cobra.Command{
		Use:   "health [--listen HOST:PORT] [--ready]",
		Short: "Check that a running daemon answers (for container health checks)",
		Long: `Ask the daemon listening on --listen (default 127.0.0.1:9464, the default
listen address) for /healthz, or /readyz with --ready, and exit 0 if it
answers 200 within 5 s, 1 otherwise. It reads no configuration and opens no
store: it is the health check of an image with no shell or curl (the
Dockerfile's HEALTHCHECK). A wildcard host (0.0.0.0, [::]) is asked on
loopback.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return checkHealth(c.ctx, listen, ready, c.stdout)
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:9464", "the daemon's listen `address`")
	cmd.Flags().BoolVar(&ready, "ready", false, "ask /readyz (every secret scheduled) instead of /healthz")
	return cmd
}

// checkHealth GETs /healthz (or /readyz) from the daemon at listen.
func checkHealth(ctx context.Context, listen string, ready bool, out io.Writer) error {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return errUsage{fmt.Errorf("--listen %q: %w; give HOST:PORT, as listen: in the configuration", listen, err)}
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
		if ip != nil && ip.To4() == nil {
			host = "::1"
		}
	}
	path := "/healthz"
	if ready {
		path = "/readyz"
	}
	url := "http://" + net.JoinHostPort(host, port) + path
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("health: no answer from rotatord at %s: %w; is it running, with listen: %s?", url, err, listen)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health: %s answered %s", url, resp.Status)
	}
	_, err = fmt.Fprintf(out, "%s: %s", url, body)
	return err
}

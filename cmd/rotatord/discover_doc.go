package main

import (
	"time"

	"github.com/rotatord/rotatord/internal/discover"
)

// discoverDoc is `rotatord discover -o json|yaml`'s document, described
// field by field in docs/discover.md: add fields, never rename or remove
// one. Missing values are null, times RFC 3339 in UTC to the second.
type discoverDoc struct {
	Target string `json:"target" yaml:"target"`
	// Filters are the filters the keys passed.
	Filters discoverFilters `json:"filters" yaml:"filters"`
	Keys    []discoverKey   `json:"keys" yaml:"keys"`
}

type discoverFilters struct {
	PathPrefix string `json:"path_prefix" yaml:"path_prefix"`
	// OlderThanDays is --older-than in days (36h is 1.5), null without it.
	OlderThanDays *float64 `json:"older_than_days" yaml:"older_than_days"`
	Unmanaged     bool     `json:"unmanaged" yaml:"unmanaged"`
}

type discoverKey struct {
	User            string  `json:"user" yaml:"user"`
	Path            string  `json:"path" yaml:"path"`
	AccessKeyID     string  `json:"access_key_id" yaml:"access_key_id"`
	Status          string  `json:"status" yaml:"status"`
	Created         *string `json:"created" yaml:"created"`
	AgeDays         int     `json:"age_days" yaml:"age_days"`
	LastUsed        *string `json:"last_used" yaml:"last_used"`
	LastUsedService *string `json:"last_used_service" yaml:"last_used_service"`
	LastUsedRegion  *string `json:"last_used_region" yaml:"last_used_region"`
	ManagedBy       *string `json:"managed_by" yaml:"managed_by"`
}

// newDiscoverDoc copies what the document shows, field by field.
func newDiscoverDoc(target string, o discover.Options, keys []discover.Key) discoverDoc {
	doc := discoverDoc{Target: target, Keys: make([]discoverKey, 0, len(keys)),
		Filters: discoverFilters{PathPrefix: o.PathPrefix, Unmanaged: o.Unmanaged}}
	if o.OlderThan > 0 {
		d := o.OlderThan.Hours() / 24
		doc.Filters.OlderThanDays = &d
	}
	for _, k := range keys {
		dk := discoverKey{User: k.User, Path: k.Path, AccessKeyID: k.AccessKeyID, Status: k.Status,
			Created: utcStamp(k.Created), AgeDays: k.AgeDays, LastUsedService: orNull(k.LastUsedService),
			LastUsedRegion: orNull(k.LastUsedRegion), ManagedBy: orNull(k.ManagedBy)}
		if k.LastUsed != nil {
			dk.LastUsed = utcStamp(*k.LastUsed)
		}
		doc.Keys = append(doc.Keys, dk)
	}
	return doc
}

func utcStamp(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Truncate(time.Second).Format(time.RFC3339)
	return &s
}

func orNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

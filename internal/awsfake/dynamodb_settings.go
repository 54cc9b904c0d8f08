package awsfake

import (
	"net/http"
	"time"
)

// pitrLag is how far LatestRestorableDateTime trails the clock, as it
// does in AWS.
const pitrLag = 5 * time.Minute

type timeToLiveSpecification struct {
	AttributeName string `json:"AttributeName"`
	Enabled       bool   `json:"Enabled"`
}

func (s *Server) updateTimeToLiveLocked(c *call) (any, *apiError) {
	var in struct {
		TableName               string
		TimeToLiveSpecification *timeToLiveSpecification
	}
	if err := decodeInput(c, &in); err != nil {
		return nil, err
	}
	spec := in.TimeToLiveSpecification
	if spec == nil {
		return nil, errMissingParam("TimeToLiveSpecification")
	}
	t, err := s.tableAdminLocked(c, in.TableName, errTableNotFound)
	if err != nil {
		return nil, err
	}
	switch {
	case spec.AttributeName == "":
		return nil, errMissingParam("TimeToLiveSpecification.AttributeName")
	case spec.Enabled && t.ttlAttr != "":
		return nil, errValidation("TimeToLive is already enabled")
	case !spec.Enabled && t.ttlAttr == "":
		return nil, errValidation("TimeToLive is already disabled")
	case !spec.Enabled && spec.AttributeName != t.ttlAttr:
		return nil, errValidation("TimeToLive is active on a different AttributeName: current AttributeName is " + t.ttlAttr)
	}
	t.ttlAttr = ""
	if spec.Enabled {
		t.ttlAttr = spec.AttributeName
	}
	return struct {
		TimeToLiveSpecification timeToLiveSpecification `json:"TimeToLiveSpecification"`
	}{*spec}, nil
}

func (s *Server) describeTimeToLiveLocked(c *call) (any, *apiError) {
	t, err := s.namedTableLocked(c, errTableNotFound)
	if err != nil {
		return nil, err
	}
	type description struct {
		TimeToLiveStatus string `json:"TimeToLiveStatus"`
		AttributeName    string `json:"AttributeName,omitempty"`
	}
	d := description{TimeToLiveStatus: "DISABLED"}
	if t.ttlAttr != "" {
		// AWS passes through ENABLING for up to an hour; here TTL is on at once.
		d = description{"ENABLED", t.ttlAttr}
	}
	return struct {
		TimeToLiveDescription description `json:"TimeToLiveDescription"`
	}{d}, nil
}

// errNoBackupTable is what the continuous-backup actions answer for a
// missing table: a code of their own.
func errNoBackupTable(name string) *apiError {
	return &apiError{http.StatusBadRequest, "TableNotFoundException", "Table not found: " + name}
}

type pitrDescription struct {
	PointInTimeRecoveryStatus  string `json:"PointInTimeRecoveryStatus"`
	RecoveryPeriodInDays       int32  `json:"RecoveryPeriodInDays,omitempty"`
	EarliestRestorableDateTime int64  `json:"EarliestRestorableDateTime,omitempty"`
	LatestRestorableDateTime   int64  `json:"LatestRestorableDateTime,omitempty"`
}

type continuousBackupsOutput struct {
	ContinuousBackupsDescription struct {
		ContinuousBackupsStatus        string          `json:"ContinuousBackupsStatus"`
		PointInTimeRecoveryDescription pitrDescription `json:"PointInTimeRecoveryDescription"`
	} `json:"ContinuousBackupsDescription"`
}

func (t *dynamoTable) continuousBackups(now time.Time) continuousBackupsOutput {
	var out continuousBackupsOutput
	out.ContinuousBackupsDescription.ContinuousBackupsStatus = "ENABLED"
	d := pitrDescription{PointInTimeRecoveryStatus: "DISABLED"}
	if t.pitr {
		latest := now.Add(-pitrLag)
		if latest.Before(t.pitrSince) {
			latest = t.pitrSince
		}
		d = pitrDescription{"ENABLED", t.pitrDays, epoch(t.pitrSince), epoch(latest)}
	}
	out.ContinuousBackupsDescription.PointInTimeRecoveryDescription = d
	return out
}

func (s *Server) updateContinuousBackupsLocked(c *call) (any, *apiError) {
	var in struct {
		TableName                        string
		PointInTimeRecoverySpecification *struct {
			PointInTimeRecoveryEnabled *bool
			RecoveryPeriodInDays       int32
		}
	}
	if err := decodeInput(c, &in); err != nil {
		return nil, err
	}
	spec := in.PointInTimeRecoverySpecification
	if spec == nil || spec.PointInTimeRecoveryEnabled == nil {
		return nil, errMissingParam("PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled")
	}
	if spec.RecoveryPeriodInDays != 0 && (spec.RecoveryPeriodInDays < 1 || spec.RecoveryPeriodInDays > 35) {
		return nil, errValidation("1 validation error detected: Value at 'pointInTimeRecoverySpecification.recoveryPeriodInDays' " +
			"failed to satisfy constraint: Member must have value between 1 and 35")
	}
	t, err := s.tableAdminLocked(c, in.TableName, errNoBackupTable)
	if err != nil {
		return nil, err
	}
	switch on := *spec.PointInTimeRecoveryEnabled; {
	case on && !t.pitr:
		t.pitr, t.pitrSince = true, c.now
		fallthrough
	case on:
		t.pitrDays = 35
		if spec.RecoveryPeriodInDays != 0 {
			t.pitrDays = spec.RecoveryPeriodInDays
		}
	default:
		t.pitr, t.pitrDays, t.pitrSince = false, 0, time.Time{}
	}
	return t.continuousBackups(c.now), nil
}

func (s *Server) describeContinuousBackupsLocked(c *call) (any, *apiError) {
	t, err := s.namedTableLocked(c, errNoBackupTable)
	if err != nil {
		return nil, err
	}
	return t.continuousBackups(c.now), nil
}

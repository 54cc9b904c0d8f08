package dynamodbfake

import (
	"net/http"
	"time"

	"github.com/rotatord/rotatord/internal/awsfake"
)

// pitrLag is how far LatestRestorableDateTime trails the clock, as it
// does in AWS.
const pitrLag = 5 * time.Minute

type timeToLiveSpecification struct {
	AttributeName string `json:"AttributeName"`
	Enabled       bool   `json:"Enabled"`
}

func (f *Tables) updateTimeToLiveLocked(c *awsfake.Call) (any, *awsfake.Error) {
	var in struct {
		TableName               string
		TimeToLiveSpecification *timeToLiveSpecification
	}
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	spec := in.TimeToLiveSpecification
	if spec == nil {
		return nil, awsfake.MissingParam("TimeToLiveSpecification")
	}
	t, err := f.tableAdminLocked(c, in.TableName, errTableNotFound)
	if err != nil {
		return nil, err
	}
	switch {
	case spec.AttributeName == "":
		return nil, awsfake.MissingParam("TimeToLiveSpecification.AttributeName")
	case spec.Enabled && t.ttlAttr != "":
		return nil, awsfake.ValidationError("TimeToLive is already enabled")
	case !spec.Enabled && t.ttlAttr == "":
		return nil, awsfake.ValidationError("TimeToLive is already disabled")
	case !spec.Enabled && spec.AttributeName != t.ttlAttr:
		return nil, awsfake.ValidationError("TimeToLive is active on a different AttributeName: current AttributeName is " + t.ttlAttr)
	}
	t.ttlAttr = ""
	if spec.Enabled {
		t.ttlAttr = spec.AttributeName
	}
	return struct {
		TimeToLiveSpecification timeToLiveSpecification `json:"TimeToLiveSpecification"`
	}{*spec}, nil
}

func (f *Tables) describeTimeToLiveLocked(c *awsfake.Call) (any, *awsfake.Error) {
	t, err := f.namedTableLocked(c, errTableNotFound)
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
func errNoBackupTable(name string) *awsfake.Error {
	return &awsfake.Error{Status: http.StatusBadRequest, Code: "TableNotFoundException", Message: "Table not found: " + name}
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

func (f *Tables) updateContinuousBackupsLocked(c *awsfake.Call) (any, *awsfake.Error) {
	var in struct {
		TableName                        string
		PointInTimeRecoverySpecification *struct {
			PointInTimeRecoveryEnabled *bool
			RecoveryPeriodInDays       int32
		}
	}
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	spec := in.PointInTimeRecoverySpecification
	if spec == nil || spec.PointInTimeRecoveryEnabled == nil {
		return nil, awsfake.MissingParam("PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled")
	}
	if spec.RecoveryPeriodInDays != 0 && (spec.RecoveryPeriodInDays < 1 || spec.RecoveryPeriodInDays > 35) {
		return nil, awsfake.ValidationError("1 validation error detected: Value at 'pointInTimeRecoverySpecification.recoveryPeriodInDays' " +
			"failed to satisfy constraint: Member must have value between 1 and 35")
	}
	t, err := f.tableAdminLocked(c, in.TableName, errNoBackupTable)
	if err != nil {
		return nil, err
	}
	switch on := *spec.PointInTimeRecoveryEnabled; {
	case on && !t.pitr:
		t.pitr, t.pitrSince = true, c.Now()
		fallthrough
	case on:
		t.pitrDays = 35
		if spec.RecoveryPeriodInDays != 0 {
			t.pitrDays = spec.RecoveryPeriodInDays
		}
	default:
		t.pitr, t.pitrDays, t.pitrSince = false, 0, time.Time{}
	}
	return t.continuousBackups(c.Now()), nil
}

func (f *Tables) describeContinuousBackupsLocked(c *awsfake.Call) (any, *awsfake.Error) {
	t, err := f.namedTableLocked(c, errNoBackupTable)
	if err != nil {
		return nil, err
	}
	return t.continuousBackups(c.Now()), nil
}

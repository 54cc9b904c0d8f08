package smfake

import (
	"slices"
	"time"

	"github.com/rotatord/rotatord/internal/awsfake"
)

// addVersion appends a version with the given value and moves each of
// stages to it (see moveStage). The first version of a secret always gets
// AWSCURRENT.
func (sec *secret) addVersion(id string, str *string, bin []byte, stages []string, now time.Time) *secretVersion {
	if len(sec.versions) == 0 && !slices.Contains(stages, stageCurrent) {
		stages = append(slices.Clone(stages), stageCurrent)
	}
	v := &secretVersion{id: id, str: str, bin: slices.Clone(bin), created: now}
	sec.versions = append(sec.versions, v)
	for _, st := range stages {
		sec.moveStage(st, v)
	}
	sec.changed = now
	sec.prune()
	return v
}

// holder returns the version that has stage, or nil.
func (sec *secret) holder(stage string) *secretVersion {
	for _, v := range sec.versions {
		if slices.Contains(v.stages, stage) {
			return v
		}
	}
	return nil
}

// moveStage attaches stage to v, removing it from the version that had it
// (a label is on one version at most). When AWSCURRENT moves, AWSPREVIOUS
// moves to the version AWSCURRENT left, as Secrets Manager does.
func (sec *secret) moveStage(stage string, v *secretVersion) {
	from := sec.holder(stage)
	if from == v {
		return
	}
	if from != nil {
		from.stages = slices.DeleteFunc(from.stages, func(s string) bool { return s == stage })
	}
	v.stages = append(v.stages, stage)
	if stage == stageCurrent && from != nil {
		sec.moveStage(stagePrevious, from)
	}
}

// prune drops the oldest deprecated versions beyond maxSecretVersions.
func (sec *secret) prune() {
	for i := 0; len(sec.versions) > maxSecretVersions && i < len(sec.versions); {
		if len(sec.versions[i].stages) == 0 {
			sec.versions = slices.Delete(sec.versions, i, i+1)
			continue
		}
		i++
	}
}

type putSecretValueInput struct {
	SecretID           string `json:"SecretId"`
	SecretString       *string
	SecretBinary       []byte
	ClientRequestToken string
	VersionStages      []string
}

type putSecretValueOutput struct {
	ARN           string   `json:"ARN"`
	Name          string   `json:"Name"`
	VersionID     string   `json:"VersionId"`
	VersionStages []string `json:"VersionStages"`
}

func (f *Secrets) putSecretValueLocked(c *awsfake.Call) (any, *awsfake.Error) {
	var in putSecretValueInput
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	sec, err := f.secretForLocked(c, in.SecretID)
	if err != nil {
		return nil, err
	}
	switch {
	case in.SecretString != nil && in.SecretBinary != nil:
		return nil, errSMParam("You can't specify both a binary secret value and a string secret value in the same secret.")
	case in.SecretString == nil && in.SecretBinary == nil:
		return nil, errSMParam("You must provide either SecretString or SecretBinary.")
	}
	token, err := checkToken(in.ClientRequestToken)
	if err != nil {
		return nil, err
	}
	if v := sec.version(token); v != nil {
		if !v.sameValue(in.SecretString, in.SecretBinary) {
			return nil, errSMExists("You can't modify an existing version, you can only create new versions.")
		}
		// The same request again: it succeeds and changes nothing.
		return putSecretValueOutput{sec.arn, sec.name, v.id, slices.Clone(v.stages)}, nil
	}
	stages := in.VersionStages
	if len(stages) == 0 {
		stages = []string{stageCurrent}
	}
	v := sec.addVersion(token, in.SecretString, in.SecretBinary, stages, c.Now())
	return putSecretValueOutput{sec.arn, sec.name, v.id, slices.Clone(v.stages)}, nil
}

type getSecretValueInput struct {
	SecretID     string `json:"SecretId"`
	VersionID    string `json:"VersionId"`
	VersionStage string
}

type getSecretValueOutput struct {
	ARN           string   `json:"ARN"`
	Name          string   `json:"Name"`
	VersionID     string   `json:"VersionId"`
	SecretString  *string  `json:"SecretString,omitempty"`
	SecretBinary  []byte   `json:"SecretBinary,omitempty"`
	VersionStages []string `json:"VersionStages"`
	CreatedDate   int64    `json:"CreatedDate"`
}

func (f *Secrets) getSecretValueLocked(c *awsfake.Call) (any, *awsfake.Error) {
	var in getSecretValueInput
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	sec, err := f.secretForLocked(c, in.SecretID)
	if err != nil {
		return nil, err
	}
	var v *secretVersion
	switch {
	case in.VersionID != "":
		v = sec.version(in.VersionID)
		if v == nil || (in.VersionStage != "" && !slices.Contains(v.stages, in.VersionStage)) {
			return nil, errSecretValueNotFound("VersionId: " + in.VersionID)
		}
	default:
		stage := in.VersionStage
		if stage == "" {
			stage = stageCurrent
		}
		if v = sec.holder(stage); v == nil {
			return nil, errSecretValueNotFound("staging label: " + stage)
		}
	}
	return getSecretValueOutput{
		ARN: sec.arn, Name: sec.name, VersionID: v.id, SecretString: v.str, SecretBinary: v.bin,
		VersionStages: slices.Clone(v.stages), CreatedDate: epoch(v.created),
	}, nil
}

type updateSecretVersionStageInput struct {
	SecretID            string `json:"SecretId"`
	VersionStage        string
	MoveToVersionID     string `json:"MoveToVersionId"`
	RemoveFromVersionID string `json:"RemoveFromVersionId"`
}

type updateSecretVersionStageOutput struct {
	ARN  string `json:"ARN"`
	Name string `json:"Name"`
}

func (f *Secrets) updateSecretVersionStageLocked(c *awsfake.Call) (any, *awsfake.Error) {
	var in updateSecretVersionStageInput
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	sec, err := f.secretForLocked(c, in.SecretID)
	if err != nil {
		return nil, err
	}
	if in.VersionStage == "" {
		return nil, awsfake.MissingParam("VersionStage")
	}
	holder := sec.holder(in.VersionStage)
	if in.RemoveFromVersionID != "" && (holder == nil || holder.id != in.RemoveFromVersionID) {
		return nil, errSMParam("The staging label " + in.VersionStage + " is not attached to version " + in.RemoveFromVersionID + ".")
	}
	if in.MoveToVersionID == "" {
		switch {
		case in.RemoveFromVersionID == "":
			return nil, errSMParam("You must specify MoveToVersionId or RemoveFromVersionId.")
		case in.VersionStage == stageCurrent:
			return nil, errSMParam("You can't remove the staging label AWSCURRENT; move it to another version instead.")
		}
		holder.stages = slices.DeleteFunc(holder.stages, func(s string) bool { return s == in.VersionStage })
		sec.changed = c.Now()
		return updateSecretVersionStageOutput{sec.arn, sec.name}, nil
	}
	to := sec.version(in.MoveToVersionID)
	if to == nil {
		return nil, errSecretValueNotFound("VersionId: " + in.MoveToVersionID)
	}
	if holder != nil && holder != to && in.RemoveFromVersionID == "" {
		return nil, errSMParam("The parameter RemoveFromVersionId can't be empty. Staging label " + in.VersionStage +
			" is currently attached to version " + holder.id + ", so you must explicitly reference that version in RemoveFromVersionId.")
	}
	sec.moveStage(in.VersionStage, to)
	sec.changed = c.Now()
	sec.prune()
	return updateSecretVersionStageOutput{sec.arn, sec.name}, nil
}

package ssmfake

import (
	"fmt"
	"time"

	"github.com/rotatord/rotatord/internal/awsfake"
)

// maxGetParameters is how many names GetParameters takes at once.
const maxGetParameters = 10

type wireParameter struct {
	Name             string `json:"Name"`
	Type             string `json:"Type"`
	Value            string `json:"Value"`
	Version          int64  `json:"Version"`
	LastModifiedDate int64  `json:"LastModifiedDate"`
	ARN              string `json:"ARN"`
	DataType         string `json:"DataType"`
}

// wire is p as GetParameter returns it: a SecureString's value is its
// ciphertext unless decrypt.
func (p *parameter) wire(decrypt bool) wireParameter {
	value := p.value
	if p.typ == paramSecureString && !decrypt {
		value = p.ciphertext
	}
	return wireParameter{Name: p.name, Type: p.typ, Value: value, Version: p.version,
		LastModifiedDate: epoch(p.modified), ARN: p.arn, DataType: "text"}
}

type getParameterInput struct {
	Name           string
	WithDecryption bool
}

type getParameterOutput struct {
	Parameter wireParameter `json:"Parameter"`
}

func (f *Parameters) getParameterLocked(c *awsfake.Call) (any, *awsfake.Error) {
	var in getParameterInput
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	p, err := f.paramForLocked(c, in.Name)
	if err != nil {
		return nil, err
	}
	return getParameterOutput{p.wire(in.WithDecryption)}, nil
}

type getParametersInput struct {
	Names          []string
	WithDecryption bool
}

type getParametersOutput struct {
	Parameters        []wireParameter `json:"Parameters"`
	InvalidParameters []string        `json:"InvalidParameters"`
}

// getParametersLocked answers the names that exist in Parameters and the
// others in InvalidParameters. A single parameter the caller may not read
// denies the whole call.
func (f *Parameters) getParametersLocked(c *awsfake.Call) (any, *awsfake.Error) {
	var in getParametersInput
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	if len(in.Names) == 0 {
		return nil, awsfake.MissingParam("Names")
	}
	if len(in.Names) > maxGetParameters {
		return nil, awsfake.ValidationError(fmt.Sprintf("1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length less than or equal to %d", maxGetParameters))
	}
	out := getParametersOutput{Parameters: []wireParameter{}, InvalidParameters: []string{}}
	for _, name := range in.Names {
		p, err := f.paramForLocked(c, name)
		switch {
		case err != nil && err.Code == "ParameterNotFound":
			out.InvalidParameters = append(out.InvalidParameters, name)
		case err != nil:
			return nil, err
		default:
			out.Parameters = append(out.Parameters, p.wire(in.WithDecryption))
		}
	}
	return out, nil
}

type deleteParameterInput struct {
	Name string
}

func (f *Parameters) deleteParameterLocked(c *awsfake.Call) (any, *awsfake.Error) {
	var in deleteParameterInput
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	p, err := f.paramForLocked(c, in.Name)
	if err != nil {
		return nil, err
	}
	delete(f.params, p.name)
	return nil, nil
}

// epoch is a timestamp as awsJson carries it: seconds since the Unix
// epoch, as a JSON number.
func epoch(t time.Time) int64 { return t.Unix() }

package awsfake

import "fmt"

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

func (s *Server) getParameterLocked(c *call) (any, *apiError) {
	var in getParameterInput
	if err := decodeInput(c, &in); err != nil {
		return nil, err
	}
	p, err := s.paramForLocked(c, in.Name)
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
func (s *Server) getParametersLocked(c *call) (any, *apiError) {
	var in getParametersInput
	if err := decodeInput(c, &in); err != nil {
		return nil, err
	}
	if len(in.Names) == 0 {
		return nil, errMissingParam("Names")
	}
	if len(in.Names) > maxGetParameters {
		return nil, errValidation(fmt.Sprintf("1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length less than or equal to %d", maxGetParameters))
	}
	out := getParametersOutput{Parameters: []wireParameter{}, InvalidParameters: []string{}}
	for _, name := range in.Names {
		p, err := s.paramForLocked(c, name)
		switch {
		case err != nil && err.code == "ParameterNotFound":
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

func (s *Server) deleteParameterLocked(c *call) (any, *apiError) {
	var in deleteParameterInput
	if err := decodeInput(c, &in); err != nil {
		return nil, err
	}
	p, err := s.paramForLocked(c, in.Name)
	if err != nil {
		return nil, err
	}
	delete(s.params, p.name)
	return nil, nil
}

package state

import (
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ErrNoTable: the state table does not exist.
var ErrNoTable = errors.New("the DynamoDB state table does not exist")

// NoTableError is OpenDynamo's error for a table that does not exist. It
// wraps ErrNoTable.
type NoTableError struct {
	Table, Region string
}

func (e *NoTableError) Error() string {
	return fmt.Sprintf("table %s in %s does not exist; create it with rotatord state init", e.Table, e.Region)
}

// Unwrap returns ErrNoTable.
func (e *NoTableError) Unwrap() error { return ErrNoTable }

// noTable reports DynamoDB's answer for a table that does not exist: the
// one place its SDK error is looked at.
func noTable(err error) bool {
	var missing *types.ResourceNotFoundException
	return errors.As(err, &missing)
}

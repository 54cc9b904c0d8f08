package state

import (
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func stateKey(name string) map[string]types.AttributeValue {
	return itemKey("state#"+shardOf(name), name)
}

// shardOf is the shard of a secret's items: a hash of its name.
func shardOf(name string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(name))
	return strconv.Itoa(int(h.Sum32() % stateShards))
}

func itemKey(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrPK: &types.AttributeValueMemberS{Value: pk},
		attrSK: &types.AttributeValueMemberS{Value: sk},
	}
}

func withKey(key, attrs map[string]types.AttributeValue) map[string]types.AttributeValue {
	for k, v := range attrs {
		key[k] = v
	}
	return key
}

// seqSK is an event's sort key: its sequence number, zero-padded so that
// string order is numeric order.
func seqSK(seq uint64) string { return fmt.Sprintf("%020d", seq) }

func recordOf(item map[string]types.AttributeValue) ([]byte, string, error) {
	rec, _ := item[attrRec].(*types.AttributeValueMemberB)
	ver, _ := item[attrVer].(*types.AttributeValueMemberN)
	if rec == nil || ver == nil {
		return nil, "", errors.New("a state item without its record or version")
	}
	return rec.Value, ver.Value, nil
}

func stringOf(v types.AttributeValue) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

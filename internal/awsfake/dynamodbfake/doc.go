// Package dynamodbfake is AWS DynamoDB for an awsfake.Server, for tests:
// [Register] adds it to a server.
//
// It serves CreateTable, DescribeTable, DeleteTable, UpdateTimeToLive,
// DescribeTimeToLive, UpdateContinuousBackups, DescribeContinuousBackups,
// GetItem, PutItem, DeleteItem, UpdateItem, Query and TransactWriteItems
// (awsJson 1.0). Condition, update, key condition, filter and projection
// expressions are checked and evaluated as DynamoDB does (reserved words,
// undefined or unused names and values, syntax errors, Number arithmetic
// to 38 digits), items are limited to 400 KB, transactions apply all their
// actions or none and list a CancellationReason per action, and a retried
// transaction with the same ClientRequestToken takes effect once.
// [Tables.Table] reads a table and its items back, [Tables.ExpireItems]
// runs the TTL sweep. A caller that is not an admin may use only the
// tables it created.
//
// Tables have one namespace for all regions. They are ACTIVE and TTL is
// ENABLED at once, every read is strongly consistent, and no
// ConsumedCapacity is reported. An item past its TTL stays readable until
// ExpireItems deletes it, as AWS deletes expired items lazily, days later
// at worst. Secondary indexes, Scan, the batch actions, nested document
// paths (a.b, a[0]), the legacy parameters (Expected, KeyConditions, ...)
// and ReturnValuesOnConditionCheckFailure ALL_OLD are not modelled and
// fail loudly.
package dynamodbfake

// Dispatch's addition to FerretDB 1.24's SQLite backend, copied into the module source by
// scripts/db.sh before it builds (FERRETDB_BUILD=patched): a filter `{_id: {$in: [...]}}` of
// strings or ObjectIDs is looked up through the `_id` index (`WHERE _id IN (...)`), as MongoDB
// does, instead of reading the whole collection. The handler filters the rows it gets with the
// whole filter again afterwards, so this only skips rows that cannot match.

package sqlite

import (
	"fmt"
	"strings"

	"github.com/FerretDB/FerretDB/internal/backends/sqlite/metadata"
	"github.com/FerretDB/FerretDB/internal/handler/sjson"
	"github.com/FerretDB/FerretDB/internal/types"
)

// maxIDInPushdown keeps the statement well under SQLite's limit of bound parameters.
const maxIDInPushdown = 1000

// idInWhereClause returns the WHERE clause and its arguments for `{$in: [ids]}`, or "" when the
// condition is anything else (the rows are then read and filtered as before).
func idInWhereClause(condition any) (string, []any) {
	doc, ok := condition.(*types.Document)
	if !ok || doc.Len() != 1 {
		return "", nil
	}
	in, err := doc.Get("$in")
	if err != nil {
		return "", nil
	}
	values, ok := in.(*types.Array)
	if !ok || values.Len() == 0 || values.Len() > maxIDInPushdown {
		return "", nil
	}
	args := make([]any, 0, values.Len())
	for i := 0; i < values.Len(); i++ {
		value, err := values.Get(i)
		if err != nil {
			return "", nil
		}
		switch value.(type) {
		case string, types.ObjectID:
		default:
			return "", nil
		}
		encoded, err := sjson.MarshalSingleValue(value)
		if err != nil {
			return "", nil
		}
		args = append(args, string(encoded))
	}
	placeholders := strings.TrimSuffix(strings.Repeat("?, ", len(args)), ", ")
	return fmt.Sprintf(` WHERE %s IN (%s)`, metadata.IDColumn, placeholders), args
}

package mockserver

// LinkedTables counts the service tables kept for the process (see
// linkedTables).
func LinkedTables() int {
	n := 0
	linkedTables.Range(func(any, any) bool { n++; return true })
	return n
}

// As2023 is as2023: an edition 2024 source made 2023, or why it cannot be.
var As2023 = as2023

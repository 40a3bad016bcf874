package mockserver

// LinkedTables counts the service tables kept for the process (see
// linkedTables).
func LinkedTables() int {
	n := 0
	linkedTables.Range(func(any, any) bool { n++; return true })
	return n
}

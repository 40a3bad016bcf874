package record

// DeadlineSlack is deadlineSlack, for the tests of package record_test.
const DeadlineSlack = deadlineSlack

// Package boundedfile reads the files a user points grpcdouble at (stub
// files, protosets, cassettes) with two guards: only regular files are
// read, so /dev/zero or a FIFO cannot be read for ever, and no more than a
// limit is read, so a huge file is an error rather than all of memory.
package boundedfile

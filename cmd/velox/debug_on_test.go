//go:build veloxdebug

package main

// buildTags builds the binary under test with the loop-ownership assertions
// when the tests themselves run with -tags veloxdebug.
var buildTags = []string{"-tags", "veloxdebug"}

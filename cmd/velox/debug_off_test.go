//go:build !veloxdebug

package main

// buildTags: no extra tags for the binary under test.
var buildTags []string

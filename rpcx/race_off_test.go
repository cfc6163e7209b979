//go:build !race

package rpcx

const raceEnabled = false

//go:build race

package main

// raceEnabled tells the tests to build the rotatord binary with -race too.
const raceEnabled = true

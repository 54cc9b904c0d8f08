package config

import "strings"

// closest returns the known name an unknown one most likely meant, or ""
// when none is close: a small edit distance once case, "-" and "_" are
// ignored (rotaton_hour, rotationHour), or one name containing the other
// (interval, production for prod).
func closest(key string, known []string) string {
	if len(key) > 64 {
		return ""
	}
	k := normalizeKey(key)
	best, bestScore, bestDist := "", 3, 0
	for _, name := range known {
		n := normalizeKey(name)
		dist := editDistance(k, n)
		score := dist
		if len(k) < 5 && score > 1 {
			score = 3
		}
		if score > 2 && min(len(k), len(n)) >= 4 && (strings.Contains(n, k) || strings.Contains(k, n)) {
			score = 2
		}
		if score < bestScore || (score == bestScore && best != "" && dist < bestDist) {
			best, bestScore, bestDist = name, score, dist
		}
	}
	return best
}

func normalizeKey(s string) string {
	return strings.NewReplacer("_", "", "-", "").Replace(strings.ToLower(s))
}

// editDistance is the optimal string alignment distance of a and b:
// insertions, deletions, substitutions and swaps of neighbours each cost 1.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

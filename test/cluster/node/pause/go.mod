module shakedown.local/pause

go 1.22

package main

import "flag"

// flagSet lets a scenario add its own flags to the shared ones.
type flagSet struct{ *flag.FlagSet }

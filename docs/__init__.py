"""The user guide (user-guide.md and images/), shipped inside the wheel as simulator.docs."""

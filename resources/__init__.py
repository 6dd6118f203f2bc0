"""Runtime files (examples, data, icons) shipped inside the wheel as simulator.resources."""

"""Project files (JSON, checked field by field, saved atomically) and weight exports.  No Qt.

from simulator.project import Project, load_example
project = Project.load("xor.json")       # ProjectError names the file, field and problem
trainer = project.build_trainer()
trainer.run(epochs=10)
project.capture(trainer).save("xor-trained.json")
export_weights(trainer.net, "xor.onnx")  # or .npz .json .safetensors .py (PyTorch script)
export_history_csv(trainer.history, "history.csv")
"""

from simulator.project.csv_import import (
    CsvTable,
    ImportInfo,
    build_inline_data,
    read_csv_table,
)
from simulator.project.files import MAX_FILE_BYTES, ProjectError
from simulator.project.history_csv import export_history_csv
from simulator.project.project import (
    DEFAULT_EXAMPLE,
    FORMAT,
    INLINE,
    VERSION,
    DataSpec,
    NetworkSpec,
    OptimizerSpec,
    Project,
    ProjectData,
    ScheduleSpec,
    Standardization,
    TrainingSpec,
    example_name,
    example_names,
    find_project,
    is_example_name,
    load_example,
)
from simulator.project.weights import (
    LOADABLE_WEIGHT_EXTENSIONS,
    WEIGHT_EXTENSIONS,
    WEIGHTS_FORMAT,
    Preprocessing,
    apply_weights,
    architecture,
    export_weights,
    load_weights,
)

__all__ = [
    "DEFAULT_EXAMPLE",
    "FORMAT",
    "INLINE",
    "LOADABLE_WEIGHT_EXTENSIONS",
    "MAX_FILE_BYTES",
    "VERSION",
    "WEIGHT_EXTENSIONS",
    "WEIGHTS_FORMAT",
    "CsvTable",
    "DataSpec",
    "ImportInfo",
    "NetworkSpec",
    "OptimizerSpec",
    "Preprocessing",
    "Project",
    "ProjectData",
    "ProjectError",
    "ScheduleSpec",
    "Standardization",
    "TrainingSpec",
    "apply_weights",
    "architecture",
    "build_inline_data",
    "export_history_csv",
    "export_weights",
    "load_example",
    "example_name",
    "example_names",
    "find_project",
    "is_example_name",
    "load_weights",
    "read_csv_table",
]

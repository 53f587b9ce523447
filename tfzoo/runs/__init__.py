"""Run management: run directories, their logs and checkpoints, the best policy, periodic
evaluation, and the experiments (`start_run`, `resume_run`, `load_run`, `evaluate_run`,
`verify_run`) that tie them to the loop.

It sits above the loop and the registry and below the tools; nothing here is a command.
"""

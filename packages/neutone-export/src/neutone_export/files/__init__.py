"""What is written and read: the `.nm` file and its companions (staging, atomic writes, save and
load for every model kind, scripting, tracing, what a file holds).
"""

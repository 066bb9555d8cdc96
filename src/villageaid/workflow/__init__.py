"""Orchestration: the command line, the build, the paper's outputs and the replication check.

The only layer that knows file paths and command-line options: it reads records and panels through
:mod:`villageaid.io`, runs the analyses declared in :mod:`villageaid.registry` and writes their tables and
figures through :mod:`villageaid.report`.
"""

"""The live bot: registry, state store, replay/IB node, controller and control (SPEC §5)."""

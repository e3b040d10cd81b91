"""File formats of the genetics half: every reader returns a :class:`genetics.model.Genotypes`."""

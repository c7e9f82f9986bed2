"""The networks: what one is (config), its blocks and models, the paper's nets by name, and what
it costs (flops) and looks like (diagram). hooks is how everything else looks inside one."""

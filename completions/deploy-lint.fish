complete -c deploy-lint -l env -d 'Check only this wrangler environment [default: each environment in env_names, else every one]' -r
complete -c deploy-lint -l format -d 'Output format' -r -f -a "human\t'Text for people, coloured on a terminal'
json\t'One JSON document on stdout (see docs/json-output.md)'"
complete -c deploy-lint -l config -d 'bulwark.toml to use [default: found by walking up from the current directory]' -r -F
complete -c deploy-lint -l color -d 'When to colour output' -r -f -a "auto\t'Colour on a terminal, unless NO_COLOR is set'
always\t'Always colour'
never\t'Never colour'"
complete -c deploy-lint -s v -l verbose -d 'Show more detail on stderr (repeat for more)'
complete -c deploy-lint -s q -l quiet -d 'Print only errors and warnings on stderr'
complete -c deploy-lint -s h -l help -d 'Print help (see more with \'--help\')'
complete -c deploy-lint -s V -l version -d 'Print version'

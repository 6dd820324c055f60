complete -c secrets-verify -l env -d 'Environment(s) from bulwark.toml to check [default: default_env, else every one]' -r
complete -c secrets-verify -l target -d 'Only check the target with this name (its label, or its kind)' -r
complete -c secrets-verify -l require -d 'Require this secret name (or PREFIX_* pattern) in addition to bulwark.toml\'s list' -r
complete -c secrets-verify -l identity -d 'age identity file, for --names-from-store' -r -F
complete -c secrets-verify -l min-length -d 'Values shorter than this count as placeholders' -r
complete -c secrets-verify -l timeout -d 'Stop a target CLI that has not answered after this many seconds' -r
complete -c secrets-verify -l format -d 'Output format' -r -f -a "human\t'Text for people, coloured on a terminal'
json\t'One JSON document on stdout (see docs/json-output.md)'"
complete -c secrets-verify -l config -d 'bulwark.toml to use [default: found by walking up from the current directory]' -r -F
complete -c secrets-verify -l color -d 'When to colour output' -r -f -a "auto\t'Colour on a terminal, unless NO_COLOR is set'
always\t'Always colour'
never\t'Never colour'"
complete -c secrets-verify -l names-from-store -d 'Also check the encrypted store: every required name in it, no placeholder value (needs the identity: --identity, $BULWARK_AGE_IDENTITY, the OS keyring, or ~/.config/bulwark/identity.txt)'
complete -c secrets-verify -s v -l verbose -d 'Show more detail on stderr (repeat for more)'
complete -c secrets-verify -s q -l quiet -d 'Print only errors and warnings on stderr'
complete -c secrets-verify -s h -l help -d 'Print help (see more with \'--help\')'
complete -c secrets-verify -s V -l version -d 'Print version'

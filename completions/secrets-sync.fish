# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_secrets_sync_global_optspecs
    string join \n env= identity= timeout= format= config= color= v/verbose q/quiet h/help V/version
end

function __fish_secrets_sync_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_secrets_sync_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_secrets_sync_using_subcommand
    set -l cmd (__fish_secrets_sync_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c secrets-sync -n "__fish_secrets_sync_needs_command" -l env -d 'Environment from bulwark.toml [default: default_env]; `audit` takes it more than once [default: every environment with a store]' -r
complete -c secrets-sync -n "__fish_secrets_sync_needs_command" -l identity -d 'age identity file that decrypts the store' -r -F
complete -c secrets-sync -n "__fish_secrets_sync_needs_command" -l timeout -d 'Stop a target CLI that has not finished after this many seconds' -r
complete -c secrets-sync -n "__fish_secrets_sync_needs_command" -l format -d 'Output format' -r -f -a "human\t'Text for people, coloured on a terminal'
json\t'One JSON document on stdout (see docs/json-output.md)'"
complete -c secrets-sync -n "__fish_secrets_sync_needs_command" -l config -d 'bulwark.toml to use [default: found by walking up from the current directory]' -r -F
complete -c secrets-sync -n "__fish_secrets_sync_needs_command" -l color -d 'When to colour output' -r -f -a "auto\t'Colour on a terminal, unless NO_COLOR is set'
always\t'Always colour'
never\t'Never colour'"
complete -c secrets-sync -n "__fish_secrets_sync_needs_command" -s v -l verbose -d 'Show more detail on stderr (repeat for more)'
complete -c secrets-sync -n "__fish_secrets_sync_needs_command" -s q -l quiet -d 'Print only errors and warnings on stderr'
complete -c secrets-sync -n "__fish_secrets_sync_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c secrets-sync -n "__fish_secrets_sync_needs_command" -s V -l version -d 'Print version'
complete -c secrets-sync -n "__fish_secrets_sync_needs_command" -f -a "plan" -d 'Show what apply would add, update or remove in each target (names only)'
complete -c secrets-sync -n "__fish_secrets_sync_needs_command" -f -a "apply" -d 'Perform the plan through the target CLIs'
complete -c secrets-sync -n "__fish_secrets_sync_needs_command" -f -a "edit" -d 'Decrypt to a private temp file, run $VISUAL/$EDITOR, re-encrypt atomically'
complete -c secrets-sync -n "__fish_secrets_sync_needs_command" -f -a "set" -d 'Set one secret; the value comes from stdin, or a prompt without echo'
complete -c secrets-sync -n "__fish_secrets_sync_needs_command" -f -a "unset" -d 'Remove one secret from the store'
complete -c secrets-sync -n "__fish_secrets_sync_needs_command" -f -a "names" -d 'List the names in the store'
complete -c secrets-sync -n "__fish_secrets_sync_needs_command" -f -a "audit" -d 'Check the stores against [audit]: shared, stale, weak and orphan values (names only)'
complete -c secrets-sync -n "__fish_secrets_sync_needs_command" -f -a "rotate-value" -d 'Replace one value with a generated random one (never printed); apply sends it'
complete -c secrets-sync -n "__fish_secrets_sync_needs_command" -f -a "rotate" -d 'Re-encrypt the store to the current recipients'
complete -c secrets-sync -n "__fish_secrets_sync_needs_command" -f -a "exec" -d 'Run a command with the store\'s secrets in its environment'
complete -c secrets-sync -n "__fish_secrets_sync_needs_command" -f -a "identity" -d 'Keep the identity in the OS keyring'
complete -c secrets-sync -n "__fish_secrets_sync_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand plan" -l target -d 'Only this target (its label, or its kind)' -r
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand plan" -l env -d 'Environment from bulwark.toml [default: default_env]; `audit` takes it more than once [default: every environment with a store]' -r
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand plan" -l identity -d 'age identity file that decrypts the store' -r -F
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand plan" -l timeout -d 'Stop a target CLI that has not finished after this many seconds' -r
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand plan" -l format -d 'Output format' -r -f -a "human\t'Text for people, coloured on a terminal'
json\t'One JSON document on stdout (see docs/json-output.md)'"
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand plan" -l config -d 'bulwark.toml to use [default: found by walking up from the current directory]' -r -F
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand plan" -l color -d 'When to colour output' -r -f -a "auto\t'Colour on a terminal, unless NO_COLOR is set'
always\t'Always colour'
never\t'Never colour'"
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand plan" -l prune -d 'Also plan removing names the store does not have'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand plan" -l check -d 'Exit 1 when the plan is not empty (for CI drift checks)'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand plan" -s v -l verbose -d 'Show more detail on stderr (repeat for more)'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand plan" -s q -l quiet -d 'Print only errors and warnings on stderr'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand plan" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand apply" -l target -d 'Only this target (its label, or its kind)' -r
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand apply" -l env -d 'Environment from bulwark.toml [default: default_env]; `audit` takes it more than once [default: every environment with a store]' -r
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand apply" -l identity -d 'age identity file that decrypts the store' -r -F
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand apply" -l timeout -d 'Stop a target CLI that has not finished after this many seconds' -r
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand apply" -l format -d 'Output format' -r -f -a "human\t'Text for people, coloured on a terminal'
json\t'One JSON document on stdout (see docs/json-output.md)'"
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand apply" -l config -d 'bulwark.toml to use [default: found by walking up from the current directory]' -r -F
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand apply" -l color -d 'When to colour output' -r -f -a "auto\t'Colour on a terminal, unless NO_COLOR is set'
always\t'Always colour'
never\t'Never colour'"
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand apply" -l prune -d 'Also remove names the store does not have'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand apply" -l yes -d 'Do not ask for confirmation (required without a terminal)'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand apply" -l stage-only -d 'Fly: stage the secrets without deploying them'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand apply" -l mask -d 'Print ::add-mask:: for each value first [default: on when GITHUB_ACTIONS=true]'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand apply" -s v -l verbose -d 'Show more detail on stderr (repeat for more)'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand apply" -s q -l quiet -d 'Print only errors and warnings on stderr'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand apply" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand edit" -l env -d 'Environment from bulwark.toml [default: default_env]; `audit` takes it more than once [default: every environment with a store]' -r
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand edit" -l identity -d 'age identity file that decrypts the store' -r -F
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand edit" -l timeout -d 'Stop a target CLI that has not finished after this many seconds' -r
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand edit" -l format -d 'Output format' -r -f -a "human\t'Text for people, coloured on a terminal'
json\t'One JSON document on stdout (see docs/json-output.md)'"
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand edit" -l config -d 'bulwark.toml to use [default: found by walking up from the current directory]' -r -F
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand edit" -l color -d 'When to colour output' -r -f -a "auto\t'Colour on a terminal, unless NO_COLOR is set'
always\t'Always colour'
never\t'Never colour'"
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand edit" -s v -l verbose -d 'Show more detail on stderr (repeat for more)'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand edit" -s q -l quiet -d 'Print only errors and warnings on stderr'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand edit" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand set" -l env -d 'Environment from bulwark.toml [default: default_env]; `audit` takes it more than once [default: every environment with a store]' -r
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand set" -l identity -d 'age identity file that decrypts the store' -r -F
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand set" -l timeout -d 'Stop a target CLI that has not finished after this many seconds' -r
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand set" -l format -d 'Output format' -r -f -a "human\t'Text for people, coloured on a terminal'
json\t'One JSON document on stdout (see docs/json-output.md)'"
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand set" -l config -d 'bulwark.toml to use [default: found by walking up from the current directory]' -r -F
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand set" -l color -d 'When to colour output' -r -f -a "auto\t'Colour on a terminal, unless NO_COLOR is set'
always\t'Always colour'
never\t'Never colour'"
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand set" -s v -l verbose -d 'Show more detail on stderr (repeat for more)'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand set" -s q -l quiet -d 'Print only errors and warnings on stderr'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand set" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand unset" -l env -d 'Environment from bulwark.toml [default: default_env]; `audit` takes it more than once [default: every environment with a store]' -r
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand unset" -l identity -d 'age identity file that decrypts the store' -r -F
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand unset" -l timeout -d 'Stop a target CLI that has not finished after this many seconds' -r
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand unset" -l format -d 'Output format' -r -f -a "human\t'Text for people, coloured on a terminal'
json\t'One JSON document on stdout (see docs/json-output.md)'"
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand unset" -l config -d 'bulwark.toml to use [default: found by walking up from the current directory]' -r -F
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand unset" -l color -d 'When to colour output' -r -f -a "auto\t'Colour on a terminal, unless NO_COLOR is set'
always\t'Always colour'
never\t'Never colour'"
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand unset" -s v -l verbose -d 'Show more detail on stderr (repeat for more)'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand unset" -s q -l quiet -d 'Print only errors and warnings on stderr'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand unset" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand names" -l env -d 'Environment from bulwark.toml [default: default_env]; `audit` takes it more than once [default: every environment with a store]' -r
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand names" -l identity -d 'age identity file that decrypts the store' -r -F
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand names" -l timeout -d 'Stop a target CLI that has not finished after this many seconds' -r
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand names" -l format -d 'Output format' -r -f -a "human\t'Text for people, coloured on a terminal'
json\t'One JSON document on stdout (see docs/json-output.md)'"
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand names" -l config -d 'bulwark.toml to use [default: found by walking up from the current directory]' -r -F
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand names" -l color -d 'When to colour output' -r -f -a "auto\t'Colour on a terminal, unless NO_COLOR is set'
always\t'Always colour'
never\t'Never colour'"
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand names" -l long -d 'Also show when each value last changed, and by which verb'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand names" -s v -l verbose -d 'Show more detail on stderr (repeat for more)'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand names" -s q -l quiet -d 'Print only errors and warnings on stderr'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand names" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand audit" -l fail-on -d 'Exit 1 when a finding is at least this severe' -r -f -a "warning\t'Any finding'
error\t'Errors only'"
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand audit" -l env -d 'Environment from bulwark.toml [default: default_env]; `audit` takes it more than once [default: every environment with a store]' -r
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand audit" -l identity -d 'age identity file that decrypts the store' -r -F
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand audit" -l timeout -d 'Stop a target CLI that has not finished after this many seconds' -r
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand audit" -l format -d 'Output format' -r -f -a "human\t'Text for people, coloured on a terminal'
json\t'One JSON document on stdout (see docs/json-output.md)'"
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand audit" -l config -d 'bulwark.toml to use [default: found by walking up from the current directory]' -r -F
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand audit" -l color -d 'When to colour output' -r -f -a "auto\t'Colour on a terminal, unless NO_COLOR is set'
always\t'Always colour'
never\t'Never colour'"
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand audit" -s v -l verbose -d 'Show more detail on stderr (repeat for more)'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand audit" -s q -l quiet -d 'Print only errors and warnings on stderr'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand audit" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand rotate-value" -l bytes -d 'Random bytes in the value' -r
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand rotate-value" -l encoding -d 'How the bytes are written' -r -f -a "base64\t'Standard base64, as `openssl rand -base64` prints'
hex\t'Lower-case hex, as `openssl rand -hex` prints'
alnum\t'Letters and digits, as many as carry the same randomness'"
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand rotate-value" -l env -d 'Environment from bulwark.toml [default: default_env]; `audit` takes it more than once [default: every environment with a store]' -r
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand rotate-value" -l identity -d 'age identity file that decrypts the store' -r -F
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand rotate-value" -l timeout -d 'Stop a target CLI that has not finished after this many seconds' -r
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand rotate-value" -l format -d 'Output format' -r -f -a "human\t'Text for people, coloured on a terminal'
json\t'One JSON document on stdout (see docs/json-output.md)'"
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand rotate-value" -l config -d 'bulwark.toml to use [default: found by walking up from the current directory]' -r -F
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand rotate-value" -l color -d 'When to colour output' -r -f -a "auto\t'Colour on a terminal, unless NO_COLOR is set'
always\t'Always colour'
never\t'Never colour'"
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand rotate-value" -l generate -d 'Generate the value with the OS\'s random number generator (the only way)'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand rotate-value" -s v -l verbose -d 'Show more detail on stderr (repeat for more)'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand rotate-value" -s q -l quiet -d 'Print only errors and warnings on stderr'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand rotate-value" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand rotate" -l env -d 'Environment from bulwark.toml [default: default_env]; `audit` takes it more than once [default: every environment with a store]' -r
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand rotate" -l identity -d 'age identity file that decrypts the store' -r -F
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand rotate" -l timeout -d 'Stop a target CLI that has not finished after this many seconds' -r
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand rotate" -l format -d 'Output format' -r -f -a "human\t'Text for people, coloured on a terminal'
json\t'One JSON document on stdout (see docs/json-output.md)'"
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand rotate" -l config -d 'bulwark.toml to use [default: found by walking up from the current directory]' -r -F
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand rotate" -l color -d 'When to colour output' -r -f -a "auto\t'Colour on a terminal, unless NO_COLOR is set'
always\t'Always colour'
never\t'Never colour'"
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand rotate" -s v -l verbose -d 'Show more detail on stderr (repeat for more)'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand rotate" -s q -l quiet -d 'Print only errors and warnings on stderr'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand rotate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand exec" -l env -d 'Environment from bulwark.toml [default: default_env]; `audit` takes it more than once [default: every environment with a store]' -r
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand exec" -l identity -d 'age identity file that decrypts the store' -r -F
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand exec" -l timeout -d 'Stop a target CLI that has not finished after this many seconds' -r
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand exec" -l format -d 'Output format' -r -f -a "human\t'Text for people, coloured on a terminal'
json\t'One JSON document on stdout (see docs/json-output.md)'"
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand exec" -l config -d 'bulwark.toml to use [default: found by walking up from the current directory]' -r -F
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand exec" -l color -d 'When to colour output' -r -f -a "auto\t'Colour on a terminal, unless NO_COLOR is set'
always\t'Always colour'
never\t'Never colour'"
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand exec" -s v -l verbose -d 'Show more detail on stderr (repeat for more)'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand exec" -s q -l quiet -d 'Print only errors and warnings on stderr'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand exec" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand identity; and not __fish_seen_subcommand_from store forget help" -l env -d 'Environment from bulwark.toml [default: default_env]; `audit` takes it more than once [default: every environment with a store]' -r
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand identity; and not __fish_seen_subcommand_from store forget help" -l identity -d 'age identity file that decrypts the store' -r -F
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand identity; and not __fish_seen_subcommand_from store forget help" -l timeout -d 'Stop a target CLI that has not finished after this many seconds' -r
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand identity; and not __fish_seen_subcommand_from store forget help" -l format -d 'Output format' -r -f -a "human\t'Text for people, coloured on a terminal'
json\t'One JSON document on stdout (see docs/json-output.md)'"
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand identity; and not __fish_seen_subcommand_from store forget help" -l config -d 'bulwark.toml to use [default: found by walking up from the current directory]' -r -F
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand identity; and not __fish_seen_subcommand_from store forget help" -l color -d 'When to colour output' -r -f -a "auto\t'Colour on a terminal, unless NO_COLOR is set'
always\t'Always colour'
never\t'Never colour'"
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand identity; and not __fish_seen_subcommand_from store forget help" -s v -l verbose -d 'Show more detail on stderr (repeat for more)'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand identity; and not __fish_seen_subcommand_from store forget help" -s q -l quiet -d 'Print only errors and warnings on stderr'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand identity; and not __fish_seen_subcommand_from store forget help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand identity; and not __fish_seen_subcommand_from store forget help" -f -a "store" -d 'Store an identity (read from stdin) in the OS keyring for --env'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand identity; and not __fish_seen_subcommand_from store forget help" -f -a "forget" -d 'Remove the identity for --env from the OS keyring'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand identity; and not __fish_seen_subcommand_from store forget help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand identity; and __fish_seen_subcommand_from store" -l env -d 'Environment from bulwark.toml [default: default_env]; `audit` takes it more than once [default: every environment with a store]' -r
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand identity; and __fish_seen_subcommand_from store" -l identity -d 'age identity file that decrypts the store' -r -F
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand identity; and __fish_seen_subcommand_from store" -l timeout -d 'Stop a target CLI that has not finished after this many seconds' -r
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand identity; and __fish_seen_subcommand_from store" -l format -d 'Output format' -r -f -a "human\t'Text for people, coloured on a terminal'
json\t'One JSON document on stdout (see docs/json-output.md)'"
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand identity; and __fish_seen_subcommand_from store" -l config -d 'bulwark.toml to use [default: found by walking up from the current directory]' -r -F
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand identity; and __fish_seen_subcommand_from store" -l color -d 'When to colour output' -r -f -a "auto\t'Colour on a terminal, unless NO_COLOR is set'
always\t'Always colour'
never\t'Never colour'"
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand identity; and __fish_seen_subcommand_from store" -s v -l verbose -d 'Show more detail on stderr (repeat for more)'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand identity; and __fish_seen_subcommand_from store" -s q -l quiet -d 'Print only errors and warnings on stderr'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand identity; and __fish_seen_subcommand_from store" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand identity; and __fish_seen_subcommand_from forget" -l env -d 'Environment from bulwark.toml [default: default_env]; `audit` takes it more than once [default: every environment with a store]' -r
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand identity; and __fish_seen_subcommand_from forget" -l identity -d 'age identity file that decrypts the store' -r -F
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand identity; and __fish_seen_subcommand_from forget" -l timeout -d 'Stop a target CLI that has not finished after this many seconds' -r
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand identity; and __fish_seen_subcommand_from forget" -l format -d 'Output format' -r -f -a "human\t'Text for people, coloured on a terminal'
json\t'One JSON document on stdout (see docs/json-output.md)'"
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand identity; and __fish_seen_subcommand_from forget" -l config -d 'bulwark.toml to use [default: found by walking up from the current directory]' -r -F
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand identity; and __fish_seen_subcommand_from forget" -l color -d 'When to colour output' -r -f -a "auto\t'Colour on a terminal, unless NO_COLOR is set'
always\t'Always colour'
never\t'Never colour'"
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand identity; and __fish_seen_subcommand_from forget" -s v -l verbose -d 'Show more detail on stderr (repeat for more)'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand identity; and __fish_seen_subcommand_from forget" -s q -l quiet -d 'Print only errors and warnings on stderr'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand identity; and __fish_seen_subcommand_from forget" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand identity; and __fish_seen_subcommand_from help" -f -a "store" -d 'Store an identity (read from stdin) in the OS keyring for --env'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand identity; and __fish_seen_subcommand_from help" -f -a "forget" -d 'Remove the identity for --env from the OS keyring'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand identity; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand help; and not __fish_seen_subcommand_from plan apply edit set unset names audit rotate-value rotate exec identity help" -f -a "plan" -d 'Show what apply would add, update or remove in each target (names only)'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand help; and not __fish_seen_subcommand_from plan apply edit set unset names audit rotate-value rotate exec identity help" -f -a "apply" -d 'Perform the plan through the target CLIs'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand help; and not __fish_seen_subcommand_from plan apply edit set unset names audit rotate-value rotate exec identity help" -f -a "edit" -d 'Decrypt to a private temp file, run $VISUAL/$EDITOR, re-encrypt atomically'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand help; and not __fish_seen_subcommand_from plan apply edit set unset names audit rotate-value rotate exec identity help" -f -a "set" -d 'Set one secret; the value comes from stdin, or a prompt without echo'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand help; and not __fish_seen_subcommand_from plan apply edit set unset names audit rotate-value rotate exec identity help" -f -a "unset" -d 'Remove one secret from the store'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand help; and not __fish_seen_subcommand_from plan apply edit set unset names audit rotate-value rotate exec identity help" -f -a "names" -d 'List the names in the store'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand help; and not __fish_seen_subcommand_from plan apply edit set unset names audit rotate-value rotate exec identity help" -f -a "audit" -d 'Check the stores against [audit]: shared, stale, weak and orphan values (names only)'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand help; and not __fish_seen_subcommand_from plan apply edit set unset names audit rotate-value rotate exec identity help" -f -a "rotate-value" -d 'Replace one value with a generated random one (never printed); apply sends it'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand help; and not __fish_seen_subcommand_from plan apply edit set unset names audit rotate-value rotate exec identity help" -f -a "rotate" -d 'Re-encrypt the store to the current recipients'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand help; and not __fish_seen_subcommand_from plan apply edit set unset names audit rotate-value rotate exec identity help" -f -a "exec" -d 'Run a command with the store\'s secrets in its environment'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand help; and not __fish_seen_subcommand_from plan apply edit set unset names audit rotate-value rotate exec identity help" -f -a "identity" -d 'Keep the identity in the OS keyring'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand help; and not __fish_seen_subcommand_from plan apply edit set unset names audit rotate-value rotate exec identity help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand help; and __fish_seen_subcommand_from identity" -f -a "store" -d 'Store an identity (read from stdin) in the OS keyring for --env'
complete -c secrets-sync -n "__fish_secrets_sync_using_subcommand help; and __fish_seen_subcommand_from identity" -f -a "forget" -d 'Remove the identity for --env from the OS keyring'

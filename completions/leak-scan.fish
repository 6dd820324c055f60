# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_leak_scan_global_optspecs
    string join \n format= color= v/verbose q/quiet h/help V/version
end

function __fish_leak_scan_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_leak_scan_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_leak_scan_using_subcommand
    set -l cmd (__fish_leak_scan_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c leak-scan -n "__fish_leak_scan_needs_command" -l format -d 'Output format' -r -f -a "human\t'Text for people, coloured on a terminal'
json\t'One JSON document on stdout (see docs/leak-scan.md)'
sarif\t'SARIF 2.1.0, as GitHub code scanning accepts it'
gitleaks-json\t'gitleaks\' JSON report, field for field, for tools that read gitleaks reports'"
complete -c leak-scan -n "__fish_leak_scan_needs_command" -l color -d 'When to colour output' -r -f -a "auto\t'Colour on a terminal, unless NO_COLOR is set'
always\t'Always colour'
never\t'Never colour'"
complete -c leak-scan -n "__fish_leak_scan_needs_command" -s v -l verbose -d 'Show more detail on stderr (repeat for more)'
complete -c leak-scan -n "__fish_leak_scan_needs_command" -s q -l quiet -d 'Print only errors and warnings on stderr'
complete -c leak-scan -n "__fish_leak_scan_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c leak-scan -n "__fish_leak_scan_needs_command" -s V -l version -d 'Print version'
complete -c leak-scan -n "__fish_leak_scan_needs_command" -f -a "git" -d 'Scan git history: all refs by default (branches, tags, remotes, stash)'
complete -c leak-scan -n "__fish_leak_scan_needs_command" -f -a "dir" -d 'Scan files on disk, honouring .gitignore'
complete -c leak-scan -n "__fish_leak_scan_needs_command" -f -a "staged" -d 'Scan the staged changes against HEAD (for a pre-commit hook)'
complete -c leak-scan -n "__fish_leak_scan_needs_command" -f -a "stdin" -d 'Scan standard input'
complete -c leak-scan -n "__fish_leak_scan_needs_command" -f -a "install-hook" -d 'Write a git pre-commit hook that runs `leak-scan staged`'
complete -c leak-scan -n "__fish_leak_scan_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c leak-scan -n "__fish_leak_scan_using_subcommand git" -l range -d 'Only commits in this revision range, e.g. v1.2.0..HEAD' -r
complete -c leak-scan -n "__fish_leak_scan_using_subcommand git" -l since -d 'Only commits after this date (YYYY-MM-DD or RFC 3339)' -r
complete -c leak-scan -n "__fish_leak_scan_using_subcommand git" -l branch -d 'Only this branch instead of all refs' -r
complete -c leak-scan -n "__fish_leak_scan_using_subcommand git" -s c -l config -l rules -d 'Rules: a gitleaks-format TOML config [default: $GITLEAKS_CONFIG, then the TOML in $GITLEAKS_CONFIG_TOML, then .gitleaks.toml at the scanned root, else the built-in rules]' -r -F
complete -c leak-scan -n "__fish_leak_scan_using_subcommand git" -l ignore-file -d 'Fingerprints to ignore [default: .gitleaksignore if present]' -r -F
complete -c leak-scan -n "__fish_leak_scan_using_subcommand git" -l baseline -d 'Ignore findings already in this earlier JSON report' -r -F
complete -c leak-scan -n "__fish_leak_scan_using_subcommand git" -l report -d 'Also write the report to this file' -r -F
complete -c leak-scan -n "__fish_leak_scan_using_subcommand git" -l exit-code -d 'Exit code when leaks are found' -r
complete -c leak-scan -n "__fish_leak_scan_using_subcommand git" -l max-size -d 'Skip files and blobs larger than this many bytes' -r
complete -c leak-scan -n "__fish_leak_scan_using_subcommand git" -l format -d 'Output format' -r -f -a "human\t'Text for people, coloured on a terminal'
json\t'One JSON document on stdout (see docs/leak-scan.md)'
sarif\t'SARIF 2.1.0, as GitHub code scanning accepts it'
gitleaks-json\t'gitleaks\' JSON report, field for field, for tools that read gitleaks reports'"
complete -c leak-scan -n "__fish_leak_scan_using_subcommand git" -l color -d 'When to colour output' -r -f -a "auto\t'Colour on a terminal, unless NO_COLOR is set'
always\t'Always colour'
never\t'Never colour'"
complete -c leak-scan -n "__fish_leak_scan_using_subcommand git" -l all-commits -d 'List every commit that contains each finding, not only the first'
complete -c leak-scan -n "__fish_leak_scan_using_subcommand git" -l no-redact -d 'Show found secrets in full'
complete -c leak-scan -n "__fish_leak_scan_using_subcommand git" -s v -l verbose -d 'Show more detail on stderr (repeat for more)'
complete -c leak-scan -n "__fish_leak_scan_using_subcommand git" -s q -l quiet -d 'Print only errors and warnings on stderr'
complete -c leak-scan -n "__fish_leak_scan_using_subcommand git" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c leak-scan -n "__fish_leak_scan_using_subcommand dir" -s c -l config -l rules -d 'Rules: a gitleaks-format TOML config [default: $GITLEAKS_CONFIG, then the TOML in $GITLEAKS_CONFIG_TOML, then .gitleaks.toml at the scanned root, else the built-in rules]' -r -F
complete -c leak-scan -n "__fish_leak_scan_using_subcommand dir" -l ignore-file -d 'Fingerprints to ignore [default: .gitleaksignore if present]' -r -F
complete -c leak-scan -n "__fish_leak_scan_using_subcommand dir" -l baseline -d 'Ignore findings already in this earlier JSON report' -r -F
complete -c leak-scan -n "__fish_leak_scan_using_subcommand dir" -l report -d 'Also write the report to this file' -r -F
complete -c leak-scan -n "__fish_leak_scan_using_subcommand dir" -l exit-code -d 'Exit code when leaks are found' -r
complete -c leak-scan -n "__fish_leak_scan_using_subcommand dir" -l max-size -d 'Skip files and blobs larger than this many bytes' -r
complete -c leak-scan -n "__fish_leak_scan_using_subcommand dir" -l format -d 'Output format' -r -f -a "human\t'Text for people, coloured on a terminal'
json\t'One JSON document on stdout (see docs/leak-scan.md)'
sarif\t'SARIF 2.1.0, as GitHub code scanning accepts it'
gitleaks-json\t'gitleaks\' JSON report, field for field, for tools that read gitleaks reports'"
complete -c leak-scan -n "__fish_leak_scan_using_subcommand dir" -l color -d 'When to colour output' -r -f -a "auto\t'Colour on a terminal, unless NO_COLOR is set'
always\t'Always colour'
never\t'Never colour'"
complete -c leak-scan -n "__fish_leak_scan_using_subcommand dir" -l no-ignore -d 'Scan ignored files too'
complete -c leak-scan -n "__fish_leak_scan_using_subcommand dir" -l no-redact -d 'Show found secrets in full'
complete -c leak-scan -n "__fish_leak_scan_using_subcommand dir" -s v -l verbose -d 'Show more detail on stderr (repeat for more)'
complete -c leak-scan -n "__fish_leak_scan_using_subcommand dir" -s q -l quiet -d 'Print only errors and warnings on stderr'
complete -c leak-scan -n "__fish_leak_scan_using_subcommand dir" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c leak-scan -n "__fish_leak_scan_using_subcommand staged" -s c -l config -l rules -d 'Rules: a gitleaks-format TOML config [default: $GITLEAKS_CONFIG, then the TOML in $GITLEAKS_CONFIG_TOML, then .gitleaks.toml at the scanned root, else the built-in rules]' -r -F
complete -c leak-scan -n "__fish_leak_scan_using_subcommand staged" -l ignore-file -d 'Fingerprints to ignore [default: .gitleaksignore if present]' -r -F
complete -c leak-scan -n "__fish_leak_scan_using_subcommand staged" -l baseline -d 'Ignore findings already in this earlier JSON report' -r -F
complete -c leak-scan -n "__fish_leak_scan_using_subcommand staged" -l report -d 'Also write the report to this file' -r -F
complete -c leak-scan -n "__fish_leak_scan_using_subcommand staged" -l exit-code -d 'Exit code when leaks are found' -r
complete -c leak-scan -n "__fish_leak_scan_using_subcommand staged" -l max-size -d 'Skip files and blobs larger than this many bytes' -r
complete -c leak-scan -n "__fish_leak_scan_using_subcommand staged" -l format -d 'Output format' -r -f -a "human\t'Text for people, coloured on a terminal'
json\t'One JSON document on stdout (see docs/leak-scan.md)'
sarif\t'SARIF 2.1.0, as GitHub code scanning accepts it'
gitleaks-json\t'gitleaks\' JSON report, field for field, for tools that read gitleaks reports'"
complete -c leak-scan -n "__fish_leak_scan_using_subcommand staged" -l color -d 'When to colour output' -r -f -a "auto\t'Colour on a terminal, unless NO_COLOR is set'
always\t'Always colour'
never\t'Never colour'"
complete -c leak-scan -n "__fish_leak_scan_using_subcommand staged" -l no-redact -d 'Show found secrets in full'
complete -c leak-scan -n "__fish_leak_scan_using_subcommand staged" -s v -l verbose -d 'Show more detail on stderr (repeat for more)'
complete -c leak-scan -n "__fish_leak_scan_using_subcommand staged" -s q -l quiet -d 'Print only errors and warnings on stderr'
complete -c leak-scan -n "__fish_leak_scan_using_subcommand staged" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c leak-scan -n "__fish_leak_scan_using_subcommand stdin" -l label -d 'Path to report for the input' -r
complete -c leak-scan -n "__fish_leak_scan_using_subcommand stdin" -s c -l config -l rules -d 'Rules: a gitleaks-format TOML config [default: $GITLEAKS_CONFIG, then the TOML in $GITLEAKS_CONFIG_TOML, then .gitleaks.toml at the scanned root, else the built-in rules]' -r -F
complete -c leak-scan -n "__fish_leak_scan_using_subcommand stdin" -l ignore-file -d 'Fingerprints to ignore [default: .gitleaksignore if present]' -r -F
complete -c leak-scan -n "__fish_leak_scan_using_subcommand stdin" -l baseline -d 'Ignore findings already in this earlier JSON report' -r -F
complete -c leak-scan -n "__fish_leak_scan_using_subcommand stdin" -l report -d 'Also write the report to this file' -r -F
complete -c leak-scan -n "__fish_leak_scan_using_subcommand stdin" -l exit-code -d 'Exit code when leaks are found' -r
complete -c leak-scan -n "__fish_leak_scan_using_subcommand stdin" -l max-size -d 'Skip files and blobs larger than this many bytes' -r
complete -c leak-scan -n "__fish_leak_scan_using_subcommand stdin" -l format -d 'Output format' -r -f -a "human\t'Text for people, coloured on a terminal'
json\t'One JSON document on stdout (see docs/leak-scan.md)'
sarif\t'SARIF 2.1.0, as GitHub code scanning accepts it'
gitleaks-json\t'gitleaks\' JSON report, field for field, for tools that read gitleaks reports'"
complete -c leak-scan -n "__fish_leak_scan_using_subcommand stdin" -l color -d 'When to colour output' -r -f -a "auto\t'Colour on a terminal, unless NO_COLOR is set'
always\t'Always colour'
never\t'Never colour'"
complete -c leak-scan -n "__fish_leak_scan_using_subcommand stdin" -l no-redact -d 'Show found secrets in full'
complete -c leak-scan -n "__fish_leak_scan_using_subcommand stdin" -s v -l verbose -d 'Show more detail on stderr (repeat for more)'
complete -c leak-scan -n "__fish_leak_scan_using_subcommand stdin" -s q -l quiet -d 'Print only errors and warnings on stderr'
complete -c leak-scan -n "__fish_leak_scan_using_subcommand stdin" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c leak-scan -n "__fish_leak_scan_using_subcommand install-hook" -l format -d 'Output format' -r -f -a "human\t'Text for people, coloured on a terminal'
json\t'One JSON document on stdout (see docs/leak-scan.md)'
sarif\t'SARIF 2.1.0, as GitHub code scanning accepts it'
gitleaks-json\t'gitleaks\' JSON report, field for field, for tools that read gitleaks reports'"
complete -c leak-scan -n "__fish_leak_scan_using_subcommand install-hook" -l color -d 'When to colour output' -r -f -a "auto\t'Colour on a terminal, unless NO_COLOR is set'
always\t'Always colour'
never\t'Never colour'"
complete -c leak-scan -n "__fish_leak_scan_using_subcommand install-hook" -l force -d 'Replace an existing hook'
complete -c leak-scan -n "__fish_leak_scan_using_subcommand install-hook" -s v -l verbose -d 'Show more detail on stderr (repeat for more)'
complete -c leak-scan -n "__fish_leak_scan_using_subcommand install-hook" -s q -l quiet -d 'Print only errors and warnings on stderr'
complete -c leak-scan -n "__fish_leak_scan_using_subcommand install-hook" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c leak-scan -n "__fish_leak_scan_using_subcommand help; and not __fish_seen_subcommand_from git dir staged stdin install-hook help" -f -a "git" -d 'Scan git history: all refs by default (branches, tags, remotes, stash)'
complete -c leak-scan -n "__fish_leak_scan_using_subcommand help; and not __fish_seen_subcommand_from git dir staged stdin install-hook help" -f -a "dir" -d 'Scan files on disk, honouring .gitignore'
complete -c leak-scan -n "__fish_leak_scan_using_subcommand help; and not __fish_seen_subcommand_from git dir staged stdin install-hook help" -f -a "staged" -d 'Scan the staged changes against HEAD (for a pre-commit hook)'
complete -c leak-scan -n "__fish_leak_scan_using_subcommand help; and not __fish_seen_subcommand_from git dir staged stdin install-hook help" -f -a "stdin" -d 'Scan standard input'
complete -c leak-scan -n "__fish_leak_scan_using_subcommand help; and not __fish_seen_subcommand_from git dir staged stdin install-hook help" -f -a "install-hook" -d 'Write a git pre-commit hook that runs `leak-scan staged`'
complete -c leak-scan -n "__fish_leak_scan_using_subcommand help; and not __fish_seen_subcommand_from git dir staged stdin install-hook help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'

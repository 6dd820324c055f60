# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_db_backup_global_optspecs
    string join \n format= status-file= config= color= v/verbose q/quiet h/help V/version
end

function __fish_db_backup_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_db_backup_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_db_backup_using_subcommand
    set -l cmd (__fish_db_backup_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c db-backup -n "__fish_db_backup_needs_command" -l format -d 'Output format' -r -f -a "human\t'Text for people, coloured on a terminal'
json\t'One JSON document on stdout (see docs/json-output.md)'"
complete -c db-backup -n "__fish_db_backup_needs_command" -l status-file -d 'JSON status file (last success, last failure, reason) that export, verify and prune update, for monitoring' -r -F
complete -c db-backup -n "__fish_db_backup_needs_command" -l config -d 'bulwark.toml to use [default: found by walking up from the current directory]' -r -F
complete -c db-backup -n "__fish_db_backup_needs_command" -l color -d 'When to colour output' -r -f -a "auto\t'Colour on a terminal, unless NO_COLOR is set'
always\t'Always colour'
never\t'Never colour'"
complete -c db-backup -n "__fish_db_backup_needs_command" -s v -l verbose -d 'Show more detail on stderr (repeat for more)'
complete -c db-backup -n "__fish_db_backup_needs_command" -s q -l quiet -d 'Print only errors and warnings on stderr'
complete -c db-backup -n "__fish_db_backup_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c db-backup -n "__fish_db_backup_needs_command" -s V -l version -d 'Print version'
complete -c db-backup -n "__fish_db_backup_needs_command" -f -a "export" -d 'Take a consistent snapshot, compress, encrypt and write it with its manifest'
complete -c db-backup -n "__fish_db_backup_needs_command" -f -a "verify" -d 'Decrypt, decompress, check checksums, restore to a temp database and check it'
complete -c db-backup -n "__fish_db_backup_needs_command" -f -a "list" -d 'List backups with time, size and verification state'
complete -c db-backup -n "__fish_db_backup_needs_command" -f -a "prune" -d 'Delete backups outside the retention policy (rules are ORed)'
complete -c db-backup -n "__fish_db_backup_needs_command" -f -a "restore" -d 'Restore a backup to a new database file, or a PostgreSQL backup into a database'
complete -c db-backup -n "__fish_db_backup_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c db-backup -n "__fish_db_backup_using_subcommand export" -l sqlite -d 'SQLite database file to back up' -r -F
complete -c db-backup -n "__fish_db_backup_using_subcommand export" -l d1 -d 'D1 binding or database name to export with wrangler' -r
complete -c db-backup -n "__fish_db_backup_using_subcommand export" -l postgres-env -d 'PostgreSQL database whose postgres:// URL is in the environment variable NAME' -r
complete -c db-backup -n "__fish_db_backup_using_subcommand export" -l env -d 'With --d1: the wrangler environment (`--env`) whose binding to export' -r
complete -c db-backup -n "__fish_db_backup_using_subcommand export" -l from-export -d 'With --d1: back up this export (`migrate-dryrun --export-remote --save-export FILE`) instead of exporting again; D1 serves no queries during an export' -r -F
complete -c db-backup -n "__fish_db_backup_using_subcommand export" -l out -d 'Directory for the backup and its manifest' -r -F
complete -c db-backup -n "__fish_db_backup_using_subcommand export" -l name -d 'Backup file name prefix' -r
complete -c db-backup -n "__fish_db_backup_using_subcommand export" -l recipient -d 'age recipient (age1…); repeatable' -r
complete -c db-backup -n "__fish_db_backup_using_subcommand export" -l recipients-file -d 'File of recipients, one per line' -r -F
complete -c db-backup -n "__fish_db_backup_using_subcommand export" -l upload -d 'Copy backup and manifest to R2 (r2://BUCKET/PREFIX) with wrangler' -r
complete -c db-backup -n "__fish_db_backup_using_subcommand export" -l format -d 'Output format' -r -f -a "human\t'Text for people, coloured on a terminal'
json\t'One JSON document on stdout (see docs/json-output.md)'"
complete -c db-backup -n "__fish_db_backup_using_subcommand export" -l status-file -d 'JSON status file (last success, last failure, reason) that export, verify and prune update, for monitoring' -r -F
complete -c db-backup -n "__fish_db_backup_using_subcommand export" -l config -d 'bulwark.toml to use [default: found by walking up from the current directory]' -r -F
complete -c db-backup -n "__fish_db_backup_using_subcommand export" -l color -d 'When to colour output' -r -f -a "auto\t'Colour on a terminal, unless NO_COLOR is set'
always\t'Always colour'
never\t'Never colour'"
complete -c db-backup -n "__fish_db_backup_using_subcommand export" -l postgres -d 'PostgreSQL database whose postgres:// URL is in $DATABASE_URL (never on the command line)'
complete -c db-backup -n "__fish_db_backup_using_subcommand export" -l supabase -d 'With a PostgreSQL source: dump what `supabase db dump` dumps (Supabase\'s own schemas handled as its CLI does; docs/db-backup.md)'
complete -c db-backup -n "__fish_db_backup_using_subcommand export" -l remote -d 'With --d1: export the remote database (default: local state)'
complete -c db-backup -n "__fish_db_backup_using_subcommand export" -l no-encrypt -d 'Write an unencrypted backup (refused unless given)'
complete -c db-backup -n "__fish_db_backup_using_subcommand export" -s v -l verbose -d 'Show more detail on stderr (repeat for more)'
complete -c db-backup -n "__fish_db_backup_using_subcommand export" -s q -l quiet -d 'Print only errors and warnings on stderr'
complete -c db-backup -n "__fish_db_backup_using_subcommand export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c db-backup -n "__fish_db_backup_using_subcommand verify" -l identity -d 'age identity file [default: $BULWARK_AGE_IDENTITY, the OS keyring, then ~/.config/bulwark/identity.txt]' -r -F
complete -c db-backup -n "__fish_db_backup_using_subcommand verify" -l format -d 'Output format' -r -f -a "human\t'Text for people, coloured on a terminal'
json\t'One JSON document on stdout (see docs/json-output.md)'"
complete -c db-backup -n "__fish_db_backup_using_subcommand verify" -l status-file -d 'JSON status file (last success, last failure, reason) that export, verify and prune update, for monitoring' -r -F
complete -c db-backup -n "__fish_db_backup_using_subcommand verify" -l config -d 'bulwark.toml to use [default: found by walking up from the current directory]' -r -F
complete -c db-backup -n "__fish_db_backup_using_subcommand verify" -l color -d 'When to colour output' -r -f -a "auto\t'Colour on a terminal, unless NO_COLOR is set'
always\t'Always colour'
never\t'Never colour'"
complete -c db-backup -n "__fish_db_backup_using_subcommand verify" -s v -l verbose -d 'Show more detail on stderr (repeat for more)'
complete -c db-backup -n "__fish_db_backup_using_subcommand verify" -s q -l quiet -d 'Print only errors and warnings on stderr'
complete -c db-backup -n "__fish_db_backup_using_subcommand verify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c db-backup -n "__fish_db_backup_using_subcommand list" -l format -d 'Output format' -r -f -a "human\t'Text for people, coloured on a terminal'
json\t'One JSON document on stdout (see docs/json-output.md)'"
complete -c db-backup -n "__fish_db_backup_using_subcommand list" -l status-file -d 'JSON status file (last success, last failure, reason) that export, verify and prune update, for monitoring' -r -F
complete -c db-backup -n "__fish_db_backup_using_subcommand list" -l config -d 'bulwark.toml to use [default: found by walking up from the current directory]' -r -F
complete -c db-backup -n "__fish_db_backup_using_subcommand list" -l color -d 'When to colour output' -r -f -a "auto\t'Colour on a terminal, unless NO_COLOR is set'
always\t'Always colour'
never\t'Never colour'"
complete -c db-backup -n "__fish_db_backup_using_subcommand list" -s v -l verbose -d 'Show more detail on stderr (repeat for more)'
complete -c db-backup -n "__fish_db_backup_using_subcommand list" -s q -l quiet -d 'Print only errors and warnings on stderr'
complete -c db-backup -n "__fish_db_backup_using_subcommand list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c db-backup -n "__fish_db_backup_using_subcommand prune" -l keep-last -d 'Keep the newest N backups' -r
complete -c db-backup -n "__fish_db_backup_using_subcommand prune" -l keep-daily -d 'Keep the newest backup of each of the last N days' -r
complete -c db-backup -n "__fish_db_backup_using_subcommand prune" -l keep-weekly -d 'Keep the newest backup of each of the last N weeks' -r
complete -c db-backup -n "__fish_db_backup_using_subcommand prune" -l keep-monthly -d 'Keep the newest backup of each of the last N months' -r
complete -c db-backup -n "__fish_db_backup_using_subcommand prune" -l format -d 'Output format' -r -f -a "human\t'Text for people, coloured on a terminal'
json\t'One JSON document on stdout (see docs/json-output.md)'"
complete -c db-backup -n "__fish_db_backup_using_subcommand prune" -l status-file -d 'JSON status file (last success, last failure, reason) that export, verify and prune update, for monitoring' -r -F
complete -c db-backup -n "__fish_db_backup_using_subcommand prune" -l config -d 'bulwark.toml to use [default: found by walking up from the current directory]' -r -F
complete -c db-backup -n "__fish_db_backup_using_subcommand prune" -l color -d 'When to colour output' -r -f -a "auto\t'Colour on a terminal, unless NO_COLOR is set'
always\t'Always colour'
never\t'Never colour'"
complete -c db-backup -n "__fish_db_backup_using_subcommand prune" -l dry-run -d 'Show what would be deleted, delete nothing'
complete -c db-backup -n "__fish_db_backup_using_subcommand prune" -l yes -d 'Really delete (prune refuses to delete without it; see --dry-run)'
complete -c db-backup -n "__fish_db_backup_using_subcommand prune" -s v -l verbose -d 'Show more detail on stderr (repeat for more)'
complete -c db-backup -n "__fish_db_backup_using_subcommand prune" -s q -l quiet -d 'Print only errors and warnings on stderr'
complete -c db-backup -n "__fish_db_backup_using_subcommand prune" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c db-backup -n "__fish_db_backup_using_subcommand restore" -l to -d 'Where to write the database (a PostgreSQL backup: its pg_dump archive)' -r -F
complete -c db-backup -n "__fish_db_backup_using_subcommand restore" -l to-postgres-env -d 'Restore a PostgreSQL backup, in one transaction, into the database whose postgres:// URL is in the environment variable NAME' -r
complete -c db-backup -n "__fish_db_backup_using_subcommand restore" -l identity -d 'age identity file [default: $BULWARK_AGE_IDENTITY, the OS keyring, then ~/.config/bulwark/identity.txt]' -r -F
complete -c db-backup -n "__fish_db_backup_using_subcommand restore" -l format -d 'Output format' -r -f -a "human\t'Text for people, coloured on a terminal'
json\t'One JSON document on stdout (see docs/json-output.md)'"
complete -c db-backup -n "__fish_db_backup_using_subcommand restore" -l status-file -d 'JSON status file (last success, last failure, reason) that export, verify and prune update, for monitoring' -r -F
complete -c db-backup -n "__fish_db_backup_using_subcommand restore" -l config -d 'bulwark.toml to use [default: found by walking up from the current directory]' -r -F
complete -c db-backup -n "__fish_db_backup_using_subcommand restore" -l color -d 'When to colour output' -r -f -a "auto\t'Colour on a terminal, unless NO_COLOR is set'
always\t'Always colour'
never\t'Never colour'"
complete -c db-backup -n "__fish_db_backup_using_subcommand restore" -l force -d 'Replace an existing file at --to; with --to-postgres-env, restore into a database that is not empty (the backup\'s objects are dropped and recreated)'
complete -c db-backup -n "__fish_db_backup_using_subcommand restore" -s v -l verbose -d 'Show more detail on stderr (repeat for more)'
complete -c db-backup -n "__fish_db_backup_using_subcommand restore" -s q -l quiet -d 'Print only errors and warnings on stderr'
complete -c db-backup -n "__fish_db_backup_using_subcommand restore" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c db-backup -n "__fish_db_backup_using_subcommand help; and not __fish_seen_subcommand_from export verify list prune restore help" -f -a "export" -d 'Take a consistent snapshot, compress, encrypt and write it with its manifest'
complete -c db-backup -n "__fish_db_backup_using_subcommand help; and not __fish_seen_subcommand_from export verify list prune restore help" -f -a "verify" -d 'Decrypt, decompress, check checksums, restore to a temp database and check it'
complete -c db-backup -n "__fish_db_backup_using_subcommand help; and not __fish_seen_subcommand_from export verify list prune restore help" -f -a "list" -d 'List backups with time, size and verification state'
complete -c db-backup -n "__fish_db_backup_using_subcommand help; and not __fish_seen_subcommand_from export verify list prune restore help" -f -a "prune" -d 'Delete backups outside the retention policy (rules are ORed)'
complete -c db-backup -n "__fish_db_backup_using_subcommand help; and not __fish_seen_subcommand_from export verify list prune restore help" -f -a "restore" -d 'Restore a backup to a new database file, or a PostgreSQL backup into a database'
complete -c db-backup -n "__fish_db_backup_using_subcommand help; and not __fish_seen_subcommand_from export verify list prune restore help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'

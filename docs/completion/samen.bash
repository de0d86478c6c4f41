# SPDX-License-Identifier: EUPL-1.2
# bash completion for samen, samen-keys and samend            -*- shell-script -*-
#
# Installed as .../bash-completion/completions/samen, with samen-keys and
# samend as links to it (bash-completion loads a file by the command's name).
# The lists below are static: they follow client/commands.c,
# keys/samen-keys.c and daemon/config.c, and tests/integration/test_install.c
# checks them against each program's --help.

_samen_commands="send ack resolve retract list show watch peers members status
invite join pending approve revoke certify subscribe announce"
_samen_common="--state --json --help --version"

# _samen_reply WORDS: completions of the current word among WORDS
_samen_reply()
{
	mapfile -t COMPREPLY < <(compgen -W "$1" -- "$cur")
}

# _samen_paths -f|-d: file (or directory) names, spaces and all
_samen_paths()
{
	mapfile -t COMPREPLY < <(compgen "$1" -- "$cur")
	compopt -o filenames 2>/dev/null
}

_samen()
{
	local cur prev cmd i
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}

	# the command: the first word that is not an option or an option's value
	cmd=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-s | --state) ((i++)) ;;
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done

	# option values
	case $prev in
	-s | --state)
		_samen_paths -d; return ;;
	-c | --category)
		[[ $cmd == send ]] && {
			_samen_reply "suspicious burglary break-in-attempt fire medical missing-person nuisance other"
			return
		} ;;
	--severity) _samen_reply "minor moderate severe extreme"; return ;;
	--role) _samen_reply "member coordinator relay authority"; return ;;
	--format) _samen_reply "json cap"; return ;;
	--kind) _samen_reply "lookout found enroute info"; return ;;
	-k | --key | --cursor-file)
		_samen_paths -f; return ;;
	-o | --out)
		_samen_paths -f; return ;;
	--expires | --since)
		_samen_reply "30m 1h 4h 12h 1d 2d"; return ;;
	-w | --where | -d | --description | --point | --radius | --update-of | --text | \
	--reason | -n | --limit | --hours | --label | --days | --relay | --relay-key | --nbhd)
		return ;;
	esac

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			_samen_reply "$_samen_common"
		else
			_samen_reply "$_samen_commands"
		fi
		return
	fi

	local opts=
	case $cmd in
	send)
		opts="--category --where --description --severity --112-called --called-112 --share
		      --test --exercise --expires --point --radius --update-of" ;;
	ack) opts="--called-112 --112-called --looking --text --share" ;;
	resolve) opts="--text --share" ;;
	retract) opts="--reason" ;;
	list) opts="--all --limit" ;;
	show | peers | members | status | pending | approve) opts= ;;
	watch) opts="--since" ;;
	invite) opts="--preapproved --hours --label" ;;
	join) opts="--label" ;;
	revoke) opts="--cascade --reason" ;;
	certify) opts="--role --label --days" ;;
	subscribe)
		_samen_reply "--relay --relay-key --nbhd --key --format --language --out --cursor-file --once --threads --help"
		return ;;
	announce)
		_samen_reply "--relay --relay-key --key --nbhd --kind --text --where --hours --help"
		return ;;
	*) return ;;
	esac
	[[ $cur == -* ]] && _samen_reply "$opts $_samen_common"
}

_samen_keys()
{
	local cur prev
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}

	if ((COMP_CWORD == 1)); then
		_samen_reply "init show found certify revoke verify --help --version"
		return
	fi
	case $prev in
	-k | --key | -o | --output | --nbhd | --subject)
		_samen_paths -f; return ;;
	--role) _samen_reply "member coordinator relay authority"; return ;;
	--name | --label | --days | --reason | --at) return ;;
	esac
	if [[ $cur == -* ]]; then
		case ${COMP_WORDS[1]} in
		init) _samen_reply "--key --encrypt --help" ;;
		show) _samen_reply "--key --help" ;;
		found) _samen_reply "--key --name --output --help" ;;
		certify) _samen_reply "--key --nbhd --subject --role --label --days --output --help" ;;
		revoke) _samen_reply "--key --nbhd --subject --cascade --upto --reason --output --help" ;;
		verify) _samen_reply "--at --help" ;;
		esac
		return
	fi
	case ${COMP_WORDS[1]} in
	show | verify) _samen_paths -f ;;
	esac
}

_samend()
{
	local cur prev
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}

	case $prev in
	-c | --config)
		_samen_paths -f; return ;;
	-s | --set)
		mapfile -t COMPREPLY < <(compgen -S = -W "state_dir key neighbourhood role listen advertise
			join_listen subscriber_listen peer serve gossip learn_peers active_links
			max_inbound rotate_min_seconds rotate_max_seconds retention_days rate_per_minute rate_burst
			anti_entropy_seconds clock_skew_seconds invalid_limit penalty_seconds
			max_map_mb on_signal hook_timeout_seconds log_level user" -- "$cur")
		[[ ${#COMPREPLY[@]} -gt 0 ]] && compopt -o nospace 2>/dev/null
		return ;;
	esac
	_samen_reply "--config --set --help --version"
}

complete -F _samen samen
complete -F _samen_keys samen-keys
complete -F _samend samend

use starknet::syscalls::deploy_syscall;
use starknet::testing::{pop_log_raw, set_contract_address};
use starknet::{ContractAddress, SyscallResultTrait};

fn deploy() -> IEventCounterDispatcher {
    let (address, _) = deploy_syscall(EventCounter::TEST_CLASS_HASH, 0, array![].span(), false)
        .unwrap_syscall();
    IEventCounterDispatcher { contract_address: address }
}

fn caller() -> ContractAddress {
    'caller'.try_into().unwrap()
}

// The contract's oldest event must serialize exactly as `expected` (keys and data).
fn assert_next_event(contract: ContractAddress, expected: EventCounter::Event) {
    let (keys, data) = pop_log_raw(contract).expect('no event emitted');
    let mut expected_keys = array![];
    let mut expected_data = array![];
    starknet::Event::append_keys_and_data(@expected, ref expected_keys, ref expected_data);
    assert(keys == expected_keys.span(), 'event keys differ');
    assert(data == expected_data.span(), 'event data differ');
}

#[test]
fn increments_emit_with_the_caller_as_key() {
    let counter = deploy();
    set_contract_address(caller());
    counter.increment(3);
    counter.increment(4);
    assert_eq!(counter.value(), 7);
    let address = counter.contract_address;
    assert_next_event(
        address, EventCounter::Event::Incremented(EventCounter::Incremented { caller: caller(), by: 3, new_value: 3 }),
    );
    assert_next_event(
        address, EventCounter::Event::Incremented(EventCounter::Incremented { caller: caller(), by: 4, new_value: 7 }),
    );
    assert(pop_log_raw(address).is_none(), 'unexpected extra event');
}

#[test]
fn reset_emits_the_old_value() {
    let counter = deploy();
    set_contract_address(caller());
    counter.increment(5);
    counter.reset();
    assert_eq!(counter.value(), 0);
    let address = counter.contract_address;
    pop_log_raw(address).unwrap();
    assert_next_event(address, EventCounter::Event::Reset(EventCounter::Reset { caller: caller(), old_value: 5 }));
}

#[test]
#[should_panic(expected: ('Nothing to add', 'ENTRYPOINT_FAILED'))]
fn zero_increment_rejected() {
    deploy().increment(0);
}

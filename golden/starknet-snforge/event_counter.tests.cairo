use snforge_std::{
    ContractClassTrait, DeclareResultTrait, EventSpyAssertionsTrait, EventSpyTrait,
    EventsFilterTrait, declare, spy_events, start_cheat_caller_address,
};
use starknet::ContractAddress;

fn caller() -> ContractAddress {
    'caller'.try_into().unwrap()
}

fn deploy() -> IEventCounterDispatcher {
    let class = declare("EventCounter").unwrap().contract_class();
    let (contract_address, _) = class.deploy(@array![]).unwrap();
    IEventCounterDispatcher { contract_address }
}

#[test]
fn increments_emit_with_the_caller_as_key() {
    let counter = deploy();
    let mut spy = spy_events();
    start_cheat_caller_address(counter.contract_address, caller());
    counter.increment(3);
    counter.increment(4);
    assert_eq!(counter.value(), 7);
    let address = counter.contract_address;
    spy
        .assert_emitted(
            @array![
                (
                    address,
                    EventCounter::Event::Incremented(
                        EventCounter::Incremented { caller: caller(), by: 3, new_value: 3 },
                    ),
                ),
                (
                    address,
                    EventCounter::Event::Incremented(
                        EventCounter::Incremented { caller: caller(), by: 4, new_value: 7 },
                    ),
                ),
            ],
        );
    assert_eq!(spy.get_events().emitted_by(address).events.len(), 2);
}

#[test]
fn reset_emits_the_old_value() {
    let counter = deploy();
    start_cheat_caller_address(counter.contract_address, caller());
    counter.increment(5);
    let mut spy = spy_events();
    counter.reset();
    assert_eq!(counter.value(), 0);
    let expected = EventCounter::Event::Reset(EventCounter::Reset { caller: caller(), old_value: 5 });
    spy.assert_emitted(@array![(counter.contract_address, expected)]);
}

#[test]
#[should_panic(expected: 'Nothing to add')]
fn a_zero_increment_is_rejected() {
    deploy().increment(0);
}
